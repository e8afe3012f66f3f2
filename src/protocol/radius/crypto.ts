import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DecodeError } from '../../bytes/errors';
import {
  decodeRadius,
  encodeRadius,
  encodeVendorAttribute,
  RADIUS_AUTHENTICATOR_LEN,
  RadiusAttr,
  type RadiusAttribute,
  type RadiusPacket,
} from './packet';

/** RFC 2548 2.4.2/2.4.3 (Microsoft vendor attributes): the MS-MPPE keys that carry the MSK. */
export const VENDOR_MICROSOFT = 311;
export const MS_MPPE_SEND_KEY = 16;
export const MS_MPPE_RECV_KEY = 17;

const md5 = (...parts: Buffer[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 2865 3: MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret) of an answer. */
export function responseAuthenticator(answer: Buffer, requestAuthenticator: Buffer, secret: Buffer): Buffer {
  const copy = Buffer.from(answer);
  requestAuthenticator.copy(copy, 4);
  return md5(copy, secret);
}

/** Where the Message-Authenticator value sits in the raw packet, or -1. */
function messageAuthenticatorOffset(raw: Buffer, p: RadiusPacket): number {
  const ma = p.attributes.filter((a) => a.type === RadiusAttr.MESSAGE_AUTHENTICATOR);
  if (ma.length !== 1) return -1;
  return ma[0].value.byteOffset - raw.byteOffset;
}

/**
 * RFC 3579 3.2: HMAC-MD5 keyed with the secret over the packet with the Message-Authenticator value
 * zeroed, the Authenticator field holding `authenticator` (the Request Authenticator, also for answers).
 */
function hmacOver(raw: Buffer, maAt: number, authenticator: Buffer, secret: Buffer): Buffer {
  const copy = Buffer.from(raw);
  authenticator.copy(copy, 4);
  copy.fill(0, maAt, maAt + 16);
  return createHmac('md5', secret).update(copy).digest();
}

/** `malformed`: not a RADIUS packet at all; otherwise its Message-Authenticator is missing or wrong. */
export type RequestCheck = { ok: true; packet: RadiusPacket } | { ok: false; malformed: boolean; why: string };

/**
 * An Access-Request as received: decoded, and its Message-Authenticator (RFC 3579 3.3: required
 * with EAP-Message; we require it on every request) checked against the shared secret.
 */
export function checkRequest(datagram: Buffer, secret: Buffer): RequestCheck {
  let packet: RadiusPacket;
  try {
    packet = decodeRadius(datagram);
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, malformed: true, why: e.message };
    throw e;
  }
  const raw = datagram.subarray(0, datagram.readUInt16BE(2));
  const at = messageAuthenticatorOffset(raw, packet);
  if (at < 0) return { ok: false, malformed: false, why: 'no single Message-Authenticator' };
  const got = raw.subarray(at, at + 16);
  if (got.length !== 16) return { ok: false, malformed: false, why: 'Message-Authenticator is not 16 bytes' };
  const want = hmacOver(raw, at, packet.authenticator, secret);
  return timingSafeEqual(got, want)
    ? { ok: true, packet }
    : { ok: false, malformed: false, why: 'bad Message-Authenticator' };
}

/**
 * An answer to `request`: Message-Authenticator (RFC 3579 3.2) computed over the packet with the
 * Request Authenticator, then the Response Authenticator (RFC 2865 3):
 * MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret).
 */
export function signAnswer(code: number, request: RadiusPacket, attributes: RadiusAttribute[], secret: Buffer): Buffer {
  const withMa = [...attributes, { type: RadiusAttr.MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }];
  const raw = encodeRadius({
    code,
    identifier: request.identifier,
    authenticator: request.authenticator,
    attributes: withMa,
  });
  const maAt = raw.length - 16;
  createHmac('md5', secret).update(raw).digest().copy(raw, maAt);
  responseAuthenticator(raw, request.authenticator, secret).copy(raw, 4);
  return raw;
}

/** A signed Access-Request (clients and tests): random Request Authenticator, Message-Authenticator. */
export function signRequest(
  identifier: number,
  attributes: RadiusAttribute[],
  secret: Buffer,
  authenticator = randomBytes(RADIUS_AUTHENTICATOR_LEN),
): Buffer {
  const withMa = [...attributes, { type: RadiusAttr.MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }];
  const raw = encodeRadius({ code: 1, identifier, authenticator, attributes: withMa });
  createHmac('md5', secret)
    .update(raw)
    .digest()
    .copy(raw, raw.length - 16);
  return raw;
}

/** Checks an answer's Response Authenticator and Message-Authenticator against the request it answers. */
export function checkAnswer(datagram: Buffer, requestAuthenticator: Buffer, secret: Buffer): RadiusPacket {
  const packet = decodeRadius(datagram);
  const raw = Buffer.from(datagram.subarray(0, datagram.readUInt16BE(2)));
  const got = Buffer.from(packet.authenticator);
  requestAuthenticator.copy(raw, 4);
  if (!timingSafeEqual(responseAuthenticator(raw, requestAuthenticator, secret), got))
    throw new DecodeError('invalid', 'RADIUS Response Authenticator', 4, 'does not match');
  const at = messageAuthenticatorOffset(raw, decodeRadius(raw));
  if (at < 0) throw new DecodeError('invalid', 'RADIUS Message-Authenticator', 20, 'missing');
  if (!timingSafeEqual(hmacOver(raw, at, requestAuthenticator, secret), raw.subarray(at, at + 16))) {
    throw new DecodeError('invalid', 'RADIUS Message-Authenticator', at, 'does not match');
  }
  return packet;
}

/**
 * RFC 2548 2.4.2: salt (2 bytes, high bit set), then P = key length + key + zero padding to a
 * multiple of 16, hidden as c(1) = p(1) xor MD5(S + R + A), c(i) = p(i) xor MD5(S + c(i-1)).
 */
export function encryptMppeKey(key: Buffer, secret: Buffer, requestAuthenticator: Buffer, salt: Buffer): Buffer {
  if (salt.length !== 2 || !(salt[0] & 0x80)) throw new RangeError('MS-MPPE salt is 2 bytes with the high bit set');
  const plain = Buffer.alloc(Math.ceil((key.length + 1) / 16) * 16);
  plain[0] = key.length;
  key.copy(plain, 1);
  const out = Buffer.alloc(plain.length);
  let b = md5(secret, requestAuthenticator, salt);
  for (let i = 0; i < plain.length; i += 16) {
    for (let j = 0; j < 16; j++) out[i + j] = plain[i + j] ^ b[j];
    b = md5(secret, out.subarray(i, i + 16));
  }
  return Buffer.concat([salt, out]);
}

/** The inverse of encryptMppeKey (tests and clients): the key, or a DecodeError. */
export function decryptMppeKey(value: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (value.length < 18 || (value.length - 2) % 16 !== 0)
    throw new DecodeError('invalid', 'MS-MPPE key', 0, `length ${value.length} is not 2 + n*16`);
  const salt = value.subarray(0, 2);
  const c = value.subarray(2);
  const plain = Buffer.alloc(c.length);
  let b = md5(secret, requestAuthenticator, salt);
  for (let i = 0; i < c.length; i += 16) {
    for (let j = 0; j < 16; j++) plain[i + j] = c[i + j] ^ b[j];
    b = md5(secret, c.subarray(i, i + 16));
  }
  if (plain[0] > plain.length - 1)
    throw new DecodeError('invalid', 'MS-MPPE key length', 2, `key length ${plain[0]} exceeds ${plain.length - 1}`);
  return plain.subarray(1, 1 + plain[0]);
}

/**
 * RFC 3579 / RFC 2548 as used for EAP keying (RFC 5216 2.3 convention): MS-MPPE-Recv-Key carries
 * MSK[0..31] and MS-MPPE-Send-Key MSK[32..63], each with its own random salt.
 */
export function mppeKeyAttributes(msk: Buffer, secret: Buffer, requestAuthenticator: Buffer): RadiusAttribute[] {
  const salt = (): Buffer => {
    const s = randomBytes(2);
    s[0] |= 0x80;
    return s;
  };
  const recvSalt = salt();
  let sendSalt = salt();
  while (sendSalt.equals(recvSalt)) sendSalt = salt(); // RFC 2548 2.4.2: salts unique per key
  return [
    encodeVendorAttribute({
      vendor: VENDOR_MICROSOFT,
      type: MS_MPPE_RECV_KEY,
      value: encryptMppeKey(msk.subarray(0, 32), secret, requestAuthenticator, recvSalt),
    }),
    encodeVendorAttribute({
      vendor: VENDOR_MICROSOFT,
      type: MS_MPPE_SEND_KEY,
      value: encryptMppeKey(msk.subarray(32, 64), secret, requestAuthenticator, sendSalt),
    }),
  ];
}
