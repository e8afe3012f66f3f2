import { Reader, Writer } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';

/** RFC 3748 4: packet codes. */
export enum EapCode {
  REQUEST = 1,
  RESPONSE = 2,
  SUCCESS = 3,
  FAILURE = 4,
}

/** RFC 3748 5, IANA EAP method types: the ones the TNC server speaks. */
export enum EapType {
  IDENTITY = 1,
  NAK = 3,
  MD5 = 4,
  TTLS = 21,
  /** RFC 7171 (PT-EAP), IANA EAP method type 54. */
  PT_EAP = 54,
}

export const eapTypeName = (t: number): string =>
  ({ 1: 'EAP_IDENTITY', 3: 'EAP_NAK', 4: 'EAP_MD5', 21: 'EAP_TTLS', 54: 'EAP_PT_EAP' })[t] ?? `EAP type ${t}`;

export interface EapPacket {
  readonly code: EapCode;
  readonly identifier: number;
  /** Request/Response only. */
  readonly type?: number;
  /** Request/Response: the Type-Data (untrusted view). */
  readonly data: Buffer;
}

/** RFC 3748 4: decodes one EAP packet; bytes past Length are an error here (each carrier holds one packet). */
export function decodeEap(buf: Buffer, base = 0): EapPacket {
  const r = Reader.of(buf, base);
  const code = r.u8('EAP code');
  if (code < EapCode.REQUEST || code > EapCode.FAILURE)
    throw new DecodeError('invalid', 'EAP code', base, `unknown code ${code}`);
  const identifier = r.u8('EAP identifier');
  const at = r.offset;
  const length = r.u16('EAP length');
  if (length < 4) throw new DecodeError('invalid', 'EAP length', at, `length ${length} below 4`);
  if (length !== buf.length)
    throw new DecodeError(
      length > buf.length ? 'overrun' : 'trailing',
      'EAP length',
      at,
      `length ${length} but ${buf.length} bytes`,
    );
  if (code === EapCode.SUCCESS || code === EapCode.FAILURE) {
    // RFC 3748 4.2: Success and Failure carry no data
    if (length !== 4) throw new DecodeError('invalid', 'EAP length', at, `a Success/Failure of ${length} bytes`);
    return { code, identifier, data: Buffer.alloc(0) };
  }
  const type = r.u8('EAP type');
  return { code, identifier, type, data: r.rest() };
}

export function encodeEap(p: EapPacket): Buffer {
  const w = new Writer(5 + p.data.length).u8(p.code).u8(p.identifier).u16(0);
  if (p.code === EapCode.REQUEST || p.code === EapCode.RESPONSE) {
    if (p.type === undefined) throw new RangeError('an EAP Request/Response needs a type');
    w.u8(p.type).bytes(p.data);
  }
  const out = w.finish();
  if (out.length > 0xffff) throw new RangeError(`EAP packet of ${out.length} bytes exceeds 65535`);
  out.writeUInt16BE(out.length, 2);
  return out;
}
