import { Reader } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';

/** RFC 4616 2: the PLAIN message `[authzid] NUL authcid NUL passwd` (UTF-8, no NUL inside). */
export interface SaslPlainCredentials {
  authzid: string;
  authcid: string;
  password: string;
}

// RFC 4616 2: each field is at most 255 octets
const MAX_FIELD = 255;

export function encodeSaslPlain(c: SaslPlainCredentials): Buffer {
  const parts = [c.authzid, c.authcid, c.password].map((s) => Buffer.from(s, 'utf8'));
  if (parts.some((p) => p.length > MAX_FIELD || p.includes(0)))
    throw new RangeError('SASL PLAIN field too long or contains NUL');
  if (parts[1].length === 0 || parts[2].length === 0)
    throw new RangeError('SASL PLAIN needs an authcid and a password');
  return Buffer.concat([parts[0], Buffer.of(0), parts[1], Buffer.of(0), parts[2]]);
}

/** `base` is the absolute offset of the response (inside its PT-TLS message), for errors. */
export function decodeSaslPlain(data: Buffer, base = 0): SaslPlainCredentials {
  const r = new Reader(data, base);
  const first = data.indexOf(0);
  const second = first < 0 ? -1 : data.indexOf(0, first + 1);
  if (second < 0) throw new DecodeError('invalid', 'SASL PLAIN response', base, 'needs two NUL separators');
  const authzid = field(r, first, 'SASL PLAIN authzid', true);
  r.skip(1, 'SASL PLAIN separator');
  const authcid = field(r, second - first - 1, 'SASL PLAIN authcid', false);
  r.skip(1, 'SASL PLAIN separator');
  const password = field(r, r.remaining, 'SASL PLAIN password', false);
  return { authzid, authcid, password };
}

function field(r: Reader, n: number, what: string, mayBeEmpty: boolean): string {
  const at = r.offset;
  const raw = r.bytes(n, what);
  if (raw.length > MAX_FIELD || (!mayBeEmpty && raw.length === 0) || raw.includes(0))
    throw new DecodeError('invalid', what, at, `bad length ${raw.length} or NUL`);
  const s = raw.toString('utf8');
  if (Buffer.byteLength(s) !== raw.length) throw new DecodeError('invalid', what, at, 'not UTF-8');
  return s;
}
