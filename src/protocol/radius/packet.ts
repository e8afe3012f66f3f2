import { Reader, Writer } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';

/** RFC 2865 3: packet codes (Access-*), RFC 2866 for accounting (not served). */
export enum RadiusCode {
  ACCESS_REQUEST = 1,
  ACCESS_ACCEPT = 2,
  ACCESS_REJECT = 3,
  ACCOUNTING_REQUEST = 4,
  ACCOUNTING_RESPONSE = 5,
  ACCESS_CHALLENGE = 11,
}

/** RFC 2865 5, RFC 3579 3: the attribute types we read or write. */
export enum RadiusAttr {
  USER_NAME = 1,
  FILTER_ID = 11,
  REPLY_MESSAGE = 18,
  STATE = 24,
  CLASS = 25,
  VENDOR_SPECIFIC = 26,
  SESSION_TIMEOUT = 27,
  NAS_IDENTIFIER = 32,
  EAP_MESSAGE = 79,
  MESSAGE_AUTHENTICATOR = 80,
}

/** RFC 2865 3: a packet is 20..4096 bytes; the header is code, identifier, length, authenticator. */
export const RADIUS_HEADER_LEN = 20;
export const RADIUS_MAX_PACKET = 4096;
export const RADIUS_AUTHENTICATOR_LEN = 16;
/** RFC 2865 5: an attribute's value is at most 253 bytes. */
export const RADIUS_MAX_VALUE = 253;

export interface RadiusAttribute {
  readonly type: number;
  /** The untrusted value bytes (a view into the packet). */
  readonly value: Buffer;
}

export interface RadiusPacket {
  readonly code: number;
  readonly identifier: number;
  /** Request Authenticator (requests) or Response Authenticator (answers). */
  readonly authenticator: Buffer;
  readonly attributes: readonly RadiusAttribute[];
}

/**
 * RFC 2865 3: decodes one datagram. Bytes past the Length field are padding and ignored; a Length
 * longer than the datagram or outside 20..4096 is an error (the packet is silently discarded).
 */
export function decodeRadius(datagram: Buffer): RadiusPacket {
  const r = Reader.of(datagram);
  const code = r.u8('RADIUS code');
  const identifier = r.u8('RADIUS identifier');
  const lengthAt = r.offset;
  const length = r.u16('RADIUS length');
  if (length < RADIUS_HEADER_LEN || length > RADIUS_MAX_PACKET) {
    throw new DecodeError(
      'invalid',
      'RADIUS length',
      lengthAt,
      `length ${length} outside ${RADIUS_HEADER_LEN}..${RADIUS_MAX_PACKET}`,
    );
  }
  if (length > datagram.length)
    throw new DecodeError(
      'overrun',
      'RADIUS length',
      lengthAt,
      `length ${length} exceeds the ${datagram.length}-byte datagram`,
    );
  const authenticator = r.bytes(RADIUS_AUTHENTICATOR_LEN, 'RADIUS authenticator');
  const body = r.sub(length - RADIUS_HEADER_LEN, 'RADIUS attributes');
  const attributes: RadiusAttribute[] = [];
  while (!body.atEnd) {
    const type = body.u8('RADIUS attribute type');
    const at = body.offset;
    const len = body.u8('RADIUS attribute length');
    // RFC 2865 5: Length counts type and length octets, so it is at least 2
    if (len < 2) throw new DecodeError('invalid', 'RADIUS attribute length', at, `length ${len} below 2`);
    attributes.push({ type, value: body.bytes(len - 2, `RADIUS attribute ${type}`) });
  }
  return { code, identifier, authenticator, attributes };
}

/** Encodes a packet with the given authenticator (callers sign it afterwards, see crypto.ts). */
export function encodeRadius(p: RadiusPacket): Buffer {
  const w = new Writer(RADIUS_HEADER_LEN + p.attributes.reduce((n, a) => n + 2 + a.value.length, 0));
  w.u8(p.code).u8(p.identifier).u16(0).bytes(p.authenticator);
  for (const a of p.attributes) {
    if (a.value.length > RADIUS_MAX_VALUE)
      throw new RangeError(`RADIUS attribute ${a.type} of ${a.value.length} bytes exceeds ${RADIUS_MAX_VALUE}`);
    w.u8(a.type)
      .u8(a.value.length + 2)
      .bytes(a.value);
  }
  const out = w.finish();
  if (out.length > RADIUS_MAX_PACKET)
    throw new RangeError(`RADIUS packet of ${out.length} bytes exceeds ${RADIUS_MAX_PACKET}`);
  out.writeUInt16BE(out.length, 2);
  return out;
}

export const attributesOf = (p: RadiusPacket, type: number): Buffer[] =>
  p.attributes.filter((a) => a.type === type).map((a) => a.value);

/** The single value of `type`, undefined when absent; two or more is an error. */
export function singleAttribute(p: RadiusPacket, type: number, what: string): Buffer | undefined {
  const all = attributesOf(p, type);
  if (all.length > 1)
    throw new DecodeError('invalid', what, 0, `${all.length} ${what} attributes, at most one allowed`);
  return all[0];
}

/** RFC 3579 3.1: the EAP packet is the concatenation of every EAP-Message attribute, in order. */
export const joinEapMessage = (p: RadiusPacket): Buffer => Buffer.concat(attributesOf(p, RadiusAttr.EAP_MESSAGE));

/** RFC 3579 3.1: an EAP packet split into EAP-Message attributes of at most 253 bytes. */
export function splitEapMessage(eap: Buffer): RadiusAttribute[] {
  const out: RadiusAttribute[] = [];
  for (let at = 0; at < eap.length; at += RADIUS_MAX_VALUE)
    out.push({ type: RadiusAttr.EAP_MESSAGE, value: eap.subarray(at, at + RADIUS_MAX_VALUE) });
  return out;
}

/** RFC 2865 5.26: Vendor-Specific is a 4-byte vendor ID then (RFC 2865 5.26 suggested form) type/length/value. */
export interface VendorAttribute {
  readonly vendor: number;
  readonly type: number;
  readonly value: Buffer;
}

export function encodeVendorAttribute(v: VendorAttribute): RadiusAttribute {
  if (v.value.length > RADIUS_MAX_VALUE - 6)
    throw new RangeError(`vendor attribute of ${v.value.length} bytes is too long`);
  return {
    type: RadiusAttr.VENDOR_SPECIFIC,
    value: new Writer(6 + v.value.length)
      .u32(v.vendor)
      .u8(v.type)
      .u8(v.value.length + 2)
      .bytes(v.value)
      .finish(),
  };
}

/** The sub-attributes of one Vendor-Specific value. */
export function decodeVendorAttribute(value: Buffer): VendorAttribute[] {
  const r = Reader.of(value);
  const vendor = r.u32('Vendor-Id');
  const out: VendorAttribute[] = [];
  while (!r.atEnd) {
    const type = r.u8('vendor attribute type');
    const at = r.offset;
    const len = r.u8('vendor attribute length');
    if (len < 2) throw new DecodeError('invalid', 'vendor attribute length', at, `length ${len} below 2`);
    out.push({ vendor, type, value: r.bytes(len - 2, 'vendor attribute value') });
  }
  return out;
}
