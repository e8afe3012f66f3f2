import { VENDOR } from '../vendors';

// RFC 6876 3.5: every PT-TLS message starts with a 16-byte header
export const PT_TLS_HEADER_LEN = 16;
// RFC 6876 3.7: version 1 is the only one defined
export const PT_TLS_VERSION = 1;
// RFC 6876 3.4: IANA port for PT-TLS
export const PT_TLS_PORT = 271;
/** strongSwan's PT_TLS_MAX_MESSAGE_LEN (128 TLS records minus a header): our default limit. */
export const PT_TLS_MAX_MESSAGE_LEN = 128 * 16384 - 16;

/** RFC 6876 3.5 / IANA "PT-TLS Message Types" (vendor IETF). */
export enum PtTlsType {
  EXPERIMENTAL = 0,
  VERSION_REQUEST = 1,
  VERSION_RESPONSE = 2,
  SASL_MECHANISMS = 3,
  SASL_MECHANISM_SELECTION = 4,
  SASL_AUTHENTICATION_DATA = 5,
  SASL_RESULT = 6,
  PB_TNC_BATCH = 7,
  ERROR = 8,
}
// RFC 6876 3.5: type 0xffffffff is reserved and never sent
export const PT_TLS_RESERVED_TYPE = 0xffffffff;

/** Names as strongSwan prints them ("received PT-TLS message #0 of type 'Version Request'"). */
const typeNames: Record<PtTlsType, string> = {
  [PtTlsType.EXPERIMENTAL]: 'Experimental',
  [PtTlsType.VERSION_REQUEST]: 'Version Request',
  [PtTlsType.VERSION_RESPONSE]: 'Version Response',
  [PtTlsType.SASL_MECHANISMS]: 'SASL Mechanisms',
  [PtTlsType.SASL_MECHANISM_SELECTION]: 'SASL Mechanism Selection',
  [PtTlsType.SASL_AUTHENTICATION_DATA]: 'SASL Authentication Data',
  [PtTlsType.SASL_RESULT]: 'SASL Result',
  [PtTlsType.PB_TNC_BATCH]: 'PB-TNC Batch',
  [PtTlsType.ERROR]: 'PT-TLS Error',
};

export function ptTlsTypeName(vendor: number, type: number): string {
  if (vendor === VENDOR.IETF && type in typeNames) return typeNames[type as PtTlsType];
  return `${vendor}/${type}`;
}

/** RFC 6876 3.9.1 / IANA "PT-TLS Error Codes" (vendor IETF). */
export enum PtTlsErrorCode {
  RESERVED = 0,
  MALFORMED_MESSAGE = 1,
  VERSION_NOT_SUPPORTED = 2,
  TYPE_NOT_SUPPORTED = 3,
  INVALID_MESSAGE = 4,
  SASL_MECHANISM_ERROR = 5,
  INVALID_PARAMETER = 6,
}

const errorNames: Record<PtTlsErrorCode, string> = {
  [PtTlsErrorCode.RESERVED]: 'Reserved',
  [PtTlsErrorCode.MALFORMED_MESSAGE]: 'Malformed Message',
  [PtTlsErrorCode.VERSION_NOT_SUPPORTED]: 'Version Not Supported',
  [PtTlsErrorCode.TYPE_NOT_SUPPORTED]: 'Type Not Supported',
  [PtTlsErrorCode.INVALID_MESSAGE]: 'Invalid Message',
  [PtTlsErrorCode.SASL_MECHANISM_ERROR]: 'SASL Mechanism Error',
  [PtTlsErrorCode.INVALID_PARAMETER]: 'Invalid Parameter',
};

export function ptTlsErrorName(vendor: number, code: number): string {
  if (vendor === VENDOR.IETF && code in errorNames) return errorNames[code as PtTlsErrorCode];
  return `error ${vendor}/${code}`;
}

/** RFC 6876 3.8.6: SASL Result codes. */
export enum SaslResult {
  SUCCESS = 0,
  FAILURE = 1,
  ABORT = 2,
  MECHANISM_FAILURE = 3,
}

const saslResultNames: Record<SaslResult, string> = {
  [SaslResult.SUCCESS]: 'SUCCESS',
  [SaslResult.FAILURE]: 'FAILURE',
  [SaslResult.ABORT]: 'ABORT',
  [SaslResult.MECHANISM_FAILURE]: 'MECHANISM FAILURE',
};

export function saslResultName(code: SaslResult): string {
  return saslResultNames[code];
}
