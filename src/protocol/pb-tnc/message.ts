import { Reader, Writer } from '../../bytes/cursor';
import { PB_ERROR, PbTncError } from './errors';
import { PbCodecs, PbMessage, PbMessageSpec, RawMessageValue } from './registry';

// RFC 5793 4.2: message header = flags(1) vendor(3) type(4) length(4)
export const PB_MSG_HEADER_LEN = 12;
export const PB_MSG_NOSKIP = 0x80;

const invalid = (what: string, offset: number, detail: string): PbTncError =>
  new PbTncError(PB_ERROR.INVALID_PARAMETER, 'invalid', what, offset, detail);

/** Decodes one message at the reader's position with the codecs given; offsets in errors are the reader's absolute ones. */
export function decodePbMessage(r: Reader, codecs: PbCodecs): PbMessage {
  const start = r.offset;
  const flags = r.u8('PB-TNC message flags');
  const vendor = r.u24('PB-TNC message vendor ID');
  // RFC 5793 4.2: vendor 0xffffff and type 0xffffffff are reserved
  if (vendor === 0xffffff)
    throw new PbTncError(
      PB_ERROR.INVALID_PARAMETER,
      'reserved',
      'PB-TNC message vendor ID',
      start + 1,
      'reserved vendor ID 0xffffff',
    );
  const type = r.u32('PB-TNC message type');
  if (type === 0xffffffff)
    throw new PbTncError(
      PB_ERROR.INVALID_PARAMETER,
      'reserved',
      'PB-TNC message type',
      start + 4,
      'reserved type 0xffffffff',
    );
  const length = r.u32('PB-TNC message length');
  // RFC 5793 4.2: the length includes the 12-byte header
  if (length < PB_MSG_HEADER_LEN)
    throw invalid('PB-TNC message length', start + 8, `length ${length} below the header size`);
  if (length - PB_MSG_HEADER_LEN > r.remaining) {
    throw new PbTncError(
      PB_ERROR.INVALID_PARAMETER,
      'overrun',
      'PB-TNC message length',
      start + 8,
      `length ${length} exceeds the ${r.remaining + PB_MSG_HEADER_LEN} bytes left`,
    );
  }
  const value = r.sub(length - PB_MSG_HEADER_LEN, 'PB-TNC message value');
  const noskip = (flags & PB_MSG_NOSKIP) !== 0;
  const spec = codecs.lookup(vendor, type);
  if (!spec || (noskip && spec.unsupportedWithNoskip)) {
    // RFC 5793 4.2: an unknown message with NOSKIP set is answered with Unsupported Mandatory Message
    if (noskip) {
      throw new PbTncError(
        PB_ERROR.UNSUPPORTED_MANDATORY_MESSAGE,
        'unsupported',
        `PB-TNC message ${codecs.name(vendor, type)}`,
        start,
        'NOSKIP message of unsupported type',
      );
    }
    return { vendor, type, noskip, value: { raw: value.rest() } satisfies RawMessageValue };
  }
  const name = codecs.name(vendor, type);
  checkRules(spec, name, noskip, length, start);
  const decoded = spec.decode(value);
  value.end(name);
  return { vendor, type, noskip, value: decoded, spec };
}

// RFC 5793 4.3-4.11 fix the NOSKIP flag and the size of each message type
function checkRules(spec: PbMessageSpec<unknown>, name: string, noskip: boolean, length: number, start: number): void {
  if (spec.noskip !== 'any' && noskip !== (spec.noskip === 'set')) {
    throw invalid(`${name} flags`, start, `NOSKIP flag must be ${spec.noskip}`);
  }
  if (length < spec.minLength || (spec.exactLength && length !== spec.minLength)) {
    const want = spec.exactLength ? `exactly ${spec.minLength}` : `at least ${spec.minLength}`;
    throw invalid(`${name} length`, start, `length ${length}, must be ${want} bytes`);
  }
}

export function encodePbMessage(w: Writer, m: PbMessage): void {
  const start = w.length;
  w.u8(m.noskip ? PB_MSG_NOSKIP : 0)
    .u24(m.vendor)
    .u32(m.type)
    .u32(0);
  if (m.spec) m.spec.encode(w, m.value);
  else w.bytes((m.value as RawMessageValue).raw);
  w.patchU32(start + 8, w.length - start);
}

/** Encoded size of one message, header included (e.g. for "processing IETF/PB-PA message (227 bytes)"). */
export function pbMessageSize(m: PbMessage): number {
  const w = new Writer(64);
  encodePbMessage(w, m);
  return w.length;
}
