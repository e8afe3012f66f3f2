import { Reader, Writer } from '../../../bytes/cursor';
import { defineAttribute } from '../registry';
import { hex24, hex32, VENDOR } from '../../vendors';
import { restText } from './text';

// RFC 5792 4.2.8 and RFC 8412 5.16: IETF PA-TNC error codes
export const IETF_ERROR = {
  INVALID_PARAMETER: 1,
  VERSION_NOT_SUPPORTED: 2,
  ATTRIBUTE_TYPE_NOT_SUPPORTED: 3,
  SWIMA_ERROR: 4,
  SWIMA_SUBSCRIPTION_DENIED: 5,
  SWIMA_RESPONSE_TOO_LARGE: 6,
  SWIMA_SUBSCRIPTION_FULFILLMENT_ERROR: 7,
  SWIMA_SUBSCRIPTION_ID_REUSE: 8,
} as const;

const ietfErrorNames = [
  'Reserved',
  'Invalid Parameter',
  'Version Not Supported',
  'Attribute Type Not Supported',
  'SWIMA Error',
  'SWIMA Subscription Denied',
  'SWIMA Response Too Large',
  'SWIMA Subscription Fulfillment Error',
  'SWIMA Subscription ID Reuse',
];

// TCG Attestation PTS Protocol: Binding to TNC IF-M, error codes (vendor TCG)
const ptsErrorNames = [
  'reserved',
  'hash algorithm not supported',
  'invalid path',
  'file not found',
  'registry not supported',
  'registry key not found',
  'DH groups not supported',
  'bad nonce length',
  'invalid name family',
  'TPM version not supported',
  'invalid delimiter',
  'operation not supported',
  'RM error',
  'unable to perform local validation',
  'unable to collect current evidence',
  'unable to determine transitive trust chain',
  'unable to determine PCR',
];

/** Which PA-TNC message the error is about: an 8-byte header copy, or (segmented attribute) FF FF FF FF + base message ID. */
export type ErroredMessage =
  | { kind: 'message'; version: number; reserved: number; messageId: number }
  | { kind: 'segmented'; baseMessageId: number };

export type PaTncErrorInfo =
  | { kind: 'invalid-parameter'; message: ErroredMessage; offset: number }
  | { kind: 'version-not-supported'; message: ErroredMessage; maxVersion: number; minVersion: number }
  | {
      kind: 'attribute-type-not-supported';
      message: ErroredMessage;
      attribute: { flags: number; vendor: number; type: number };
    }
  /** SWIMA codes 4, 5, 8: Request (or Subscription) ID copy + description. */
  | { kind: 'swima'; requestId: number; description: string }
  | { kind: 'swima-response-too-large'; requestId: number; maxAllowedSize: number; description: string }
  | { kind: 'swima-fulfillment'; subscriptionId: number; error: { vendor: number; code: number; info: Buffer } }
  /** TCG PTS codes and codes without a defined layout: the information as bytes. */
  | { kind: 'raw'; info: Buffer };

export interface PaTncError {
  vendor: number;
  code: number;
  info: PaTncErrorInfo;
}

const SEGMENTED_MARK = 0xffffffff;

export function paTncErrorName(vendor: number, code: number): string {
  const names = vendor === VENDOR.IETF ? ietfErrorNames : vendor === VENDOR.TCG ? ptsErrorNames : [];
  return names[code] ?? `${hex24(vendor)}/${hex32(code)}`;
}

// RFC 5792 4.2.8: PA-TNC Error — reserved(1), code vendor(3), code(4), information
export const PaTncErrorAttr = defineAttribute<PaTncError>({
  vendor: VENDOR.IETF,
  type: 8,
  name: 'PA-TNC Error',
  decode(r) {
    r.skip(1, 'PA-TNC Error reserved');
    const vendor = r.u24('PA-TNC Error code vendor ID');
    const code = r.u32('PA-TNC Error code');
    return { vendor, code, info: decodeInfo(r, vendor, code) };
  },
  encode(w, v) {
    w.u8(0).u24(v.vendor).u32(v.code);
    encodeInfo(w, v.info);
  },
  describe: describeError,
});

function decodeInfo(r: Reader, vendor: number, code: number): PaTncErrorInfo {
  if (vendor !== VENDOR.IETF) return { kind: 'raw', info: Buffer.from(r.rest()) };
  switch (code) {
    case IETF_ERROR.INVALID_PARAMETER:
      // RFC 5792 4.2.8: header copy + u32 offset of the bad field
      return { kind: 'invalid-parameter', message: decodeErroredMessage(r), offset: r.u32('PA-TNC Error offset') };
    case IETF_ERROR.VERSION_NOT_SUPPORTED: {
      // RFC 5792 4.2.8: header copy + max version(1) + min version(1) + reserved(2)
      const message = decodeErroredMessage(r);
      const maxVersion = r.u8('PA-TNC Error max version');
      const minVersion = r.u8('PA-TNC Error min version');
      r.skip(2, 'PA-TNC Error reserved');
      return { kind: 'version-not-supported', message, maxVersion, minVersion };
    }
    case IETF_ERROR.ATTRIBUTE_TYPE_NOT_SUPPORTED: {
      // RFC 5792 4.2.8: header copy + the first 8 bytes of the rejected attribute header
      const message = decodeErroredMessage(r);
      const attribute = {
        flags: r.u8('PA-TNC Error attribute flags'),
        vendor: r.u24('PA-TNC Error attribute vendor ID'),
        type: r.u32('PA-TNC Error attribute type'),
      };
      return { kind: 'attribute-type-not-supported', message, attribute };
    }
    case IETF_ERROR.SWIMA_ERROR:
    case IETF_ERROR.SWIMA_SUBSCRIPTION_DENIED:
    case IETF_ERROR.SWIMA_SUBSCRIPTION_ID_REUSE:
      // RFC 8412 5.16: request (subscription) ID copy + UTF-8 description
      return {
        kind: 'swima',
        requestId: r.u32('PA-TNC Error request ID'),
        description: restText(r, 'PA-TNC Error description'),
      };
    case IETF_ERROR.SWIMA_RESPONSE_TOO_LARGE: {
      const requestId = r.u32('PA-TNC Error request ID');
      const maxAllowedSize = r.u32('PA-TNC Error maximum allowed size');
      return {
        kind: 'swima-response-too-large',
        requestId,
        maxAllowedSize,
        description: restText(r, 'PA-TNC Error description'),
      };
    }
    case IETF_ERROR.SWIMA_SUBSCRIPTION_FULFILLMENT_ERROR:
      return decodeFulfillment(r);
    default:
      return { kind: 'raw', info: Buffer.from(r.rest()) };
  }
}

// RFC 8412 5.16: subscription ID(4), reserved(1), sub-error vendor(3), sub-error code(4), sub-error
// information (layout from the RFC; strongSwan never sends this code)
function decodeFulfillment(r: Reader): PaTncErrorInfo {
  const subscriptionId = r.u32('PA-TNC Error subscription ID');
  r.skip(1, 'PA-TNC Error reserved');
  const vendor = r.u24('PA-TNC Error sub-error vendor ID');
  const code = r.u32('PA-TNC Error sub-error code');
  return { kind: 'swima-fulfillment', subscriptionId, error: { vendor, code, info: Buffer.from(r.rest()) } };
}

function decodeErroredMessage(r: Reader): ErroredMessage {
  const first = r.u32('PA-TNC Error message header copy');
  const id = r.u32('PA-TNC Error message identifier');
  // strongSwan: errors about a segmented attribute carry FF FF FF FF + base message ID
  if (first === SEGMENTED_MARK) return { kind: 'segmented', baseMessageId: id };
  return { kind: 'message', version: first >>> 24, reserved: first & 0xffffff, messageId: id };
}

function encodeErroredMessage(w: Writer, m: ErroredMessage): void {
  if (m.kind === 'segmented') w.u32(SEGMENTED_MARK).u32(m.baseMessageId);
  else w.u8(m.version).u24(m.reserved).u32(m.messageId);
}

function encodeInfo(w: Writer, i: PaTncErrorInfo): void {
  switch (i.kind) {
    case 'invalid-parameter':
      encodeErroredMessage(w, i.message);
      w.u32(i.offset);
      break;
    case 'version-not-supported':
      encodeErroredMessage(w, i.message);
      w.u8(i.maxVersion).u8(i.minVersion).u16(0);
      break;
    case 'attribute-type-not-supported':
      encodeErroredMessage(w, i.message);
      w.u8(i.attribute.flags).u24(i.attribute.vendor).u32(i.attribute.type);
      break;
    case 'swima':
      w.u32(i.requestId).utf8(i.description);
      break;
    case 'swima-response-too-large':
      w.u32(i.requestId).u32(i.maxAllowedSize).utf8(i.description);
      break;
    case 'swima-fulfillment':
      w.u32(i.subscriptionId).u8(0).u24(i.error.vendor).u32(i.error.code).bytes(i.error.info);
      break;
    case 'raw':
      w.bytes(i.info);
  }
}

function describeError(e: PaTncError): string[] {
  const name = `PA-TNC error '${paTncErrorName(e.vendor, e.code)}'`;
  const i = e.info;
  switch (i.kind) {
    case 'invalid-parameter':
      return [`${name} at offset ${i.offset} of ${messageText(i.message)}`];
    case 'version-not-supported':
      return [`${name} for ${messageText(i.message)}, supported versions ${i.minVersion}..${i.maxVersion}`];
    case 'attribute-type-not-supported':
      return [
        `${name} for ${messageText(i.message)}: attribute type ${hex24(i.attribute.vendor)}/${hex32(i.attribute.type)}`,
      ];
    case 'swima':
    case 'swima-response-too-large':
      return [
        `${name} for request ${i.requestId}`,
        ...('maxAllowedSize' in i ? [`maximum allowed size: ${i.maxAllowedSize}`] : []),
        `description: ${i.description}`,
      ];
    case 'swima-fulfillment':
      return [
        `${name} for subscription ${i.subscriptionId}`,
        `embedded error '${paTncErrorName(i.error.vendor, i.error.code)}'`,
      ];
    case 'raw':
      return [name, ...(i.info.length > 0 ? [`information: ${i.info.toString('hex')}`] : [])];
  }
}

function messageText(m: ErroredMessage): string {
  return m.kind === 'segmented'
    ? `segmented attribute with base message ID ${m.baseMessageId}`
    : `PA-TNC message with ID ${hex32(m.messageId)}`;
}
