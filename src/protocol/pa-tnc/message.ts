import { Reader, Writer } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';
import type { PaAttribute, PaCodecs, RawAttributeValue } from './registry';

// RFC 5792 4.1: PA-TNC message header
export const PA_TNC_VERSION = 1;
export const PA_MSG_HEADER_LEN = 8;
// RFC 5792 4.2: attribute header
export const PA_ATTR_HEADER_LEN = 12;
export const PA_ATTR_NOSKIP = 0x80;

export interface PaMessage {
  readonly messageId: number;
  readonly attributes: PaAttribute[];
}

/** Header of the attribute being decoded, as RFC 5792 4.2.8 wants it copied into errors. */
export interface AttributeHeaderInfo {
  flags: number;
  vendor: number;
  type: number;
  /** Offset of the attribute header, relative to the reader's base (the PA-TNC message start). */
  offset: number;
}

/** RFC 5792 4.2.8: an unknown attribute with NOSKIP set; answer with Attribute Type Not Supported. */
export class UnsupportedAttributeError extends DecodeError {
  constructor(
    readonly attribute: AttributeHeaderInfo,
    /** Its name in the receiver's codec set ("IETF/attribute-0x00000042"). */
    name: string,
  ) {
    super('unsupported', `PA-TNC attribute ${name}`, attribute.offset, 'NOSKIP attribute of unsupported type');
  }
}

export interface DecodePaOptions {
  /** Absolute offset of the message's first byte, for error offsets (0 = relative to the message). */
  base?: number;
}

/** Decodes a PA-TNC message with the attribute codecs given: a type not in them is unknown (raw, or an error with NOSKIP). */
export function decodePaMessage(data: Buffer, codecs: PaCodecs, opts: DecodePaOptions = {}): PaMessage {
  const r = new Reader(data, opts.base ?? 0);
  const version = r.u8('PA-TNC version');
  if (version !== PA_TNC_VERSION) {
    throw new DecodeError('version', 'PA-TNC version', r.offset - 1, `version ${version} not supported`);
  }
  r.skip(3, 'PA-TNC reserved');
  const messageId = r.u32('PA-TNC message identifier');
  const attributes: PaAttribute[] = [];
  while (!r.atEnd) attributes.push(decodeAttribute(r, codecs));
  return { messageId, attributes };
}

function decodeAttribute(r: Reader, codecs: PaCodecs): PaAttribute {
  const start = r.offset;
  const flags = r.u8('PA-TNC attribute flags');
  const vendor = r.u24('PA-TNC attribute vendor ID');
  // RFC 5792 4.2: vendor 0xffffff and type 0xffffffff are reserved
  if (vendor === 0xffffff)
    throw new DecodeError('reserved', 'PA-TNC attribute vendor ID', start + 1, 'reserved vendor ID 0xffffff');
  const type = r.u32('PA-TNC attribute type');
  if (type === 0xffffffff)
    throw new DecodeError('reserved', 'PA-TNC attribute type', start + 4, 'reserved type 0xffffffff');
  const length = r.u32('PA-TNC attribute length');
  // RFC 5792 4.2: the length includes the 12-byte header
  if (length < PA_ATTR_HEADER_LEN)
    throw new DecodeError('invalid', 'PA-TNC attribute length', start + 8, `length ${length} below the header size`);
  if (length - PA_ATTR_HEADER_LEN > r.remaining) {
    throw new DecodeError(
      'overrun',
      'PA-TNC attribute length',
      start + 8,
      `length ${length} exceeds the ${r.remaining + PA_ATTR_HEADER_LEN} bytes left`,
    );
  }
  const value = r.sub(length - PA_ATTR_HEADER_LEN, 'PA-TNC attribute value');
  const noskip = (flags & PA_ATTR_NOSKIP) !== 0;
  const spec = codecs.lookup(vendor, type);
  if (!spec) {
    if (noskip) throw new UnsupportedAttributeError({ flags, vendor, type, offset: start }, codecs.name(vendor, type));
    return { vendor, type, noskip, value: { raw: value.rest() } satisfies RawAttributeValue };
  }
  const decoded = spec.decode(value);
  value.end(codecs.name(vendor, type));
  return { vendor, type, noskip, value: decoded, spec };
}

export function encodeAttribute(w: Writer, a: PaAttribute): void {
  const start = w.length;
  w.u8(a.noskip ? PA_ATTR_NOSKIP : 0)
    .u24(a.vendor)
    .u32(a.type)
    .u32(0);
  if (a.spec) a.spec.encode(w, a.value);
  else w.bytes((a.value as RawAttributeValue).raw);
  w.patchU32(start + 8, w.length - start);
}

export function encodePaMessage(m: PaMessage): Buffer {
  const w = new Writer(256);
  w.u8(PA_TNC_VERSION).zeros(3).u32(m.messageId);
  for (const a of m.attributes) encodeAttribute(w, a);
  return w.finish();
}

/**
 * One attribute's bytes, header included. Given a `scratch` writer, a view of its buffer, valid
 * until the writer's next use: encoding attribute after attribute then allocates nothing.
 */
export function encodeAttributeBytes(a: PaAttribute, scratch = new Writer(64)): Buffer {
  encodeAttribute(scratch.reset(), a);
  return scratch.finish();
}

/** Encoded size of one attribute, header included. */
export const attributeSize = (a: PaAttribute): number => encodeAttributeBytes(a).length;
