import { DecodeError, DecodeErrorKind } from '../../bytes/errors';

/** RFC 5793 4.9: IETF PB-Error codes. */
export const PB_ERROR = {
  UNEXPECTED_BATCH_TYPE: 0,
  INVALID_PARAMETER: 1,
  LOCAL_ERROR: 2,
  UNSUPPORTED_MANDATORY_MESSAGE: 3,
  VERSION_NOT_SUPPORTED: 4,
} as const;
export type PbErrorCode = (typeof PB_ERROR)[keyof typeof PB_ERROR];

export const PB_ERROR_NAMES: Record<PbErrorCode, string> = {
  0: 'Unexpected Batch Type',
  1: 'Invalid Parameter',
  2: 'Local Error',
  3: 'Unsupported Mandatory Message',
  4: 'Version Not Supported',
};

/**
 * A PB-TNC decode failure that names the PB-Error code the receiver must answer with.
 * Plain DecodeErrors from the cursor (truncated, overrun, trailing) mean Invalid Parameter.
 */
export class PbTncError extends DecodeError {
  constructor(
    readonly code: PbErrorCode,
    kind: DecodeErrorKind,
    what: string,
    offset: number,
    detail?: string,
    /** For Version Not Supported: the version the peer sent. */
    readonly badVersion?: number,
  ) {
    super(kind, what, offset, detail);
  }
}
