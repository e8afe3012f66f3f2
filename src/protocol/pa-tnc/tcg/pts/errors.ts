import { Reader, Writer } from '../../../../bytes/cursor';

// PTS 4.2: TCG PTS error codes carried in an IETF PA-TNC Error attribute with vendor TCG
export const PTS_ERROR = {
  HASH_ALG_NOT_SUPPORTED: 1,
  INVALID_PATH: 2,
  FILE_NOT_FOUND: 3,
  REG_NOT_SUPPORTED: 4,
  REG_KEY_NOT_FOUND: 5,
  DH_GROUPS_NOT_SUPPORTED: 6,
  BAD_NONCE_LENGTH: 7,
  INVALID_NAME_FAMILY: 8,
  TPM_VERSION_NOT_SUPPORTED: 9,
  INVALID_DELIMITER: 10,
  OPERATION_NOT_SUPPORTED: 11,
  RM_ERROR: 12,
  UNABLE_LOCAL_VAL: 13,
  UNABLE_CUR_EVID: 14,
  UNABLE_DET_TTC: 15,
  UNABLE_DET_PCR: 16,
} as const;

/** Structured error information for the codes that define one; other codes carry the offending attribute value. */
export type PtsErrorInfo =
  | { code: 1; supportedHashes: number }
  | { code: 6; supportedGroups: number }
  | { code: 7; minNonceLength: number; maxNonceLength: number }
  | { code: number; raw: Buffer };

// PTS 4.2 (as strongSwan sends it): codes 1 and 6 = u16 reserved + u16 set; 7 = u16 min + u16 max nonce length
export function decodePtsErrorInfo(code: number, r: Reader): PtsErrorInfo {
  let info: PtsErrorInfo;
  if (code === PTS_ERROR.HASH_ALG_NOT_SUPPORTED || code === PTS_ERROR.DH_GROUPS_NOT_SUPPORTED) {
    r.skip(2, 'PTS error information reserved');
    const set = r.u16('PTS error information set');
    info = code === 1 ? { code: 1, supportedHashes: set } : { code: 6, supportedGroups: set };
  } else if (code === PTS_ERROR.BAD_NONCE_LENGTH) {
    info = {
      code: 7,
      minNonceLength: r.u16('PTS error minimum nonce length'),
      maxNonceLength: r.u16('PTS error maximum nonce length'),
    };
  } else {
    return { code, raw: r.rest() };
  }
  r.end('PTS error information');
  return info;
}

export function encodePtsErrorInfo(w: Writer, info: PtsErrorInfo): void {
  if ('supportedHashes' in info) w.u16(0).u16(info.supportedHashes);
  else if ('supportedGroups' in info) w.u16(0).u16(info.supportedGroups);
  else if ('minNonceLength' in info) w.u16(info.minNonceLength).u16(info.maxNonceLength);
  else w.bytes(info.raw);
}
