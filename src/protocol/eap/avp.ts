import { Reader, Writer } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';

/** RFC 5281 10.1: AVP header flags (V: Vendor-ID present, M: mandatory). */
const AVP_V = 0x80;
const AVP_M = 0x40;
/** RFC 5281 11.2.1 / RFC 3579: the EAP-Message AVP (RADIUS attribute 79). */
export const AVP_EAP_MESSAGE = 79;

export interface Avp {
  readonly code: number;
  readonly mandatory: boolean;
  readonly vendor?: number;
  readonly data: Buffer;
}

/**
 * Takes whole AVPs from the front of a stream of decrypted TLS data (RFC 5281 10.1: code u32,
 * flags u8, length u24 counting header and data but not the padding to 4 bytes). Returns the AVPs
 * and how many bytes they used; a partial AVP stays for the next call. An AVP longer than `max`
 * is an error before any of its data is awaited.
 */
export function takeAvps(buf: Buffer, max: number, base = 0): { avps: Avp[]; used: number } {
  const avps: Avp[] = [];
  let used = 0;
  while (buf.length - used >= 8) {
    const r = Reader.of(buf.subarray(used), base + used);
    const code = r.u32('AVP code');
    const flags = r.u8('AVP flags');
    const lenAt = r.offset;
    const length = r.u24('AVP length');
    const header = flags & AVP_V ? 12 : 8;
    if (length < header)
      throw new DecodeError('invalid', 'AVP length', lenAt, `length ${length} below its ${header}-byte header`);
    if (length > max) throw new DecodeError('limit', 'AVP length', lenAt, `length ${length} exceeds ${max}`);
    const padded = (length + 3) & ~3;
    if (buf.length - used < padded) break;
    const vendor = flags & AVP_V ? r.u32('AVP Vendor-ID') : undefined;
    avps.push({ code, mandatory: !!(flags & AVP_M), vendor, data: r.bytes(length - header, 'AVP data') });
    used += padded;
  }
  return { avps, used };
}

export function encodeAvp(a: Avp): Buffer {
  const header = a.vendor !== undefined ? 12 : 8;
  const length = header + a.data.length;
  if (length > 0xffffff) throw new RangeError(`AVP of ${length} bytes`);
  const w = new Writer(length + 3)
    .u32(a.code)
    .u8((a.vendor !== undefined ? AVP_V : 0) | (a.mandatory ? AVP_M : 0))
    .u24(length);
  if (a.vendor !== undefined) w.u32(a.vendor);
  return w
    .bytes(a.data)
    .zeros((4 - (length % 4)) % 4)
    .finish();
}

/** RFC 5281 11.2.1: an EAP packet tunnelled in one EAP-Message AVP (M set). */
export const eapMessageAvp = (eap: Buffer): Buffer => encodeAvp({ code: AVP_EAP_MESSAGE, mandatory: true, data: eap });
