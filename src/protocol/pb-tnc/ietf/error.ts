import { Reader } from '../../../bytes/cursor';
import { hex24, VENDOR } from '../../vendors';
import { isDecodeError } from '../../../bytes/errors';
import { PB_ERROR, PB_ERROR_NAMES, PbErrorCode, PbTncError } from '../errors';
import { PB_TNC_VERSION } from '../batch';
import { definePbMessage, PbMessage } from '../registry';

/** RFC 5793 4.9.1: version parameters (code 4) or the offset of the offending field (other IETF codes). */
export type PbErrorParams =
  { offset: number } | { badVersion: number; maxVersion: number; minVersion: number } | { raw: Buffer };

export interface PbErrorValue {
  fatal: boolean;
  vendor: number;
  code: number;
  params: PbErrorParams;
}

const FATAL = 0x80;

export const PbErrorMsg = definePbMessage<PbErrorValue>({
  vendor: VENDOR.IETF,
  type: 5,
  name: 'PB-Error',
  noskip: 'set',
  minLength: 20,
  decode(r) {
    const fatal = (r.u8('PB-Error flags') & FATAL) !== 0;
    const vendor = r.u24('PB-Error code vendor ID');
    const code = r.u16('PB-Error code');
    r.skip(2, 'PB-Error reserved');
    return { fatal, vendor, code, params: decodeParams(r, vendor, code) };
  },
  encode(w, v) {
    w.u8(v.fatal ? FATAL : 0)
      .u24(v.vendor)
      .u16(v.code)
      .u16(0);
    const p = v.params;
    if ('offset' in p) w.u32(p.offset);
    else if ('badVersion' in p) w.u8(p.badVersion).u8(p.maxVersion).u8(p.minVersion).u8(0);
    else w.bytes(p.raw);
  },
  describe: (v) => [describeError(v)],
});

function decodeParams(r: Reader, vendor: number, code: number): PbErrorParams {
  // RFC 5793 4.9: parameters are minimum 0 bytes; strongSwan always sends the 4-byte field
  if (vendor !== VENDOR.IETF || code > PB_ERROR.VERSION_NOT_SUPPORTED || r.atEnd) return { raw: r.rest() };
  if (code !== PB_ERROR.VERSION_NOT_SUPPORTED) return { offset: r.u32('PB-Error offset') };
  const badVersion = r.u8('PB-Error bad version');
  const maxVersion = r.u8('PB-Error max version');
  const minVersion = r.u8('PB-Error min version');
  r.skip(1, 'PB-Error reserved');
  return { badVersion, maxVersion, minVersion };
}

function describeError(v: PbErrorValue): string {
  const kind = v.fatal ? 'fatal' : 'non-fatal';
  if (v.vendor !== VENDOR.IETF) return `${kind} PB-TNC error (${v.code}) with vendor ID ${hex24(v.vendor)}`;
  const name = PB_ERROR_NAMES[v.code as PbErrorCode] ?? `code ${v.code}`;
  const p = v.params;
  if ('offset' in p) return `${kind} PB-TNC error '${name}' at offset ${p.offset}`;
  if ('badVersion' in p)
    return `${kind} PB-TNC error '${name}' caused by bad version 0x${p.badVersion.toString(16).padStart(2, '0')}`;
  return `${kind} PB-TNC error '${name}'`;
}

/**
 * The fatal PB-Error to send (in a CLOSE batch) for a failure of decodeBatch(): RFC 5793 4.9.1.
 * A DecodeError without a PB code is Invalid Parameter at its offset (offsets count from the
 * batch start); anything else is a Local Error.
 */
export function pbErrorFor(e: unknown): PbMessage<PbErrorValue> {
  const ietf = (code: PbErrorCode, params: PbErrorParams) =>
    PbErrorMsg.make({ fatal: true, vendor: VENDOR.IETF, code, params });
  if (e instanceof PbTncError && e.code === PB_ERROR.VERSION_NOT_SUPPORTED) {
    return ietf(e.code, { badVersion: e.badVersion ?? 0, maxVersion: PB_TNC_VERSION, minVersion: PB_TNC_VERSION });
  }
  if (e instanceof PbTncError) return ietf(e.code, { offset: e.offset });
  if (isDecodeError(e)) return ietf(PB_ERROR.INVALID_PARAMETER, { offset: e.offset });
  return ietf(PB_ERROR.LOCAL_ERROR, { offset: 0 });
}
