import { Reader, Writer } from '../bytes/cursor';
import { DecodeError } from '../bytes/errors';
import { ST_ATTEST } from './constants';
import { readPcrSelectionList, writePcrSelectionList, type PcrSelection } from './pcr';

/** TPMS_CLOCK_INFO (TPM 2.0 Part 2 10.11.1). */
export interface ClockInfo {
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
}

/** TPMS_QUOTE_INFO (TPM 2.0 Part 2 10.12.1). */
export interface QuoteInfo {
  pcrSelect: PcrSelection[];
  pcrDigest: Buffer;
}

/**
 * TPMS_ATTEST (TPM 2.0 Part 2 10.12.12) as decoded, NOT yet verified: nothing in it is
 * trusted until its signature checks out against a trusted AK (see verifyQuote).
 */
export interface UntrustedAttest {
  magic: number;
  type: number;
  qualifiedSigner: Buffer;
  extraData: Buffer;
  clockInfo: ClockInfo;
  firmwareVersion: bigint;
  /** Present when type is TPM_ST_ATTEST_QUOTE. */
  quote?: QuoteInfo;
  /** The marshalled TPMU_ATTEST of any other type, undecoded. */
  attested: Buffer;
}

function readYesNo(r: Reader, what: string): boolean {
  const at = r.offset;
  const v = r.u8(what);
  // TPM 2.0 Part 2 9.2: TPMI_YES_NO is 0 or 1.
  if (v > 1) throw new DecodeError('invalid', what, at, `TPMI_YES_NO ${v}`);
  return v === 1;
}

/** Decodes a whole TPMS_ATTEST (the bytes a TPM2B_ATTEST carries). Checks structure, not magic. */
export function decodeAttest(data: Buffer): UntrustedAttest {
  const r = Reader.of(data);
  const magic = r.u32('TPMS_ATTEST magic');
  const type = r.u16('TPMS_ATTEST type');
  const qualifiedSigner = r.lengthPrefixed(2, 'TPMS_ATTEST qualifiedSigner');
  const extraData = r.lengthPrefixed(2, 'TPMS_ATTEST extraData');
  const clockInfo: ClockInfo = {
    clock: r.u64('TPMS_CLOCK_INFO clock'),
    resetCount: r.u32('TPMS_CLOCK_INFO resetCount'),
    restartCount: r.u32('TPMS_CLOCK_INFO restartCount'),
    safe: readYesNo(r, 'TPMS_CLOCK_INFO safe'),
  };
  const firmwareVersion = r.u64('TPMS_ATTEST firmwareVersion');
  const attestedAt = r.position;
  let quote: QuoteInfo | undefined;
  if (type === ST_ATTEST.QUOTE) {
    quote = { pcrSelect: readPcrSelectionList(r), pcrDigest: r.lengthPrefixed(2, 'TPMS_QUOTE_INFO pcrDigest') };
    r.end('TPMS_ATTEST');
  }
  const attested = data.subarray(attestedAt);
  return { magic, type, qualifiedSigner, extraData, clockInfo, firmwareVersion, quote, attested };
}

export function encodeAttest(a: Omit<UntrustedAttest, 'attested'> & { attested?: Buffer }): Buffer {
  const w = new Writer(160).u32(a.magic).u16(a.type);
  w.lengthPrefixed(2, a.qualifiedSigner).lengthPrefixed(2, a.extraData);
  w.u64(a.clockInfo.clock)
    .u32(a.clockInfo.resetCount)
    .u32(a.clockInfo.restartCount)
    .u8(a.clockInfo.safe ? 1 : 0);
  w.u64(a.firmwareVersion);
  if (a.quote) writePcrSelectionList(w, a.quote.pcrSelect).lengthPrefixed(2, a.quote.pcrDigest);
  else if (a.attested) w.bytes(a.attested);
  return w.finish();
}
