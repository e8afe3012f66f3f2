import { DecodeError } from '../../protocol/errors';

/**
 * The kernel's binary_runtime_measurements (security/integrity/ima/ima_fs.c, ima_measurements_show),
 * host byte order (little-endian on every platform we run on), per entry:
 *   u32 pcr | u8[20] template hash (SHA-1) | u32 name length | name | u32 data length | data
 * except the original `ima` template, which has no data length: its data is a 20-byte digest,
 * then u32 length + file name (no NUL).
 */
export type ImaTemplate = 'ima' | 'ima-ng' | 'ima-sig' | 'ima-buf';

/** One entry of an IMA list as read: nothing in it is trusted until PCR 10 replays to a quoted value. */
export interface ImaEntry {
  /** Absolute byte offset of the entry (or, for the ascii list, of its line). */
  offset: number;
  pcr: number;
  /** The SHA-1 template hash the kernel recorded; all zeros marks a violation. */
  templateHash: Buffer;
  template: ImaTemplate;
  /** Template data as listed (for `ima`: digest, u32 length, name). */
  templateData: Buffer;
  /** Absolute offset of templateData (for errors inside it). */
  dataOffset: number;
}

export const TEMPLATE_HASH_SIZE = 20;
// the commonest first: names are matched byte by byte, no string per entry
const TEMPLATES: readonly [ImaTemplate, Buffer][] = (['ima-ng', 'ima-sig', 'ima-buf', 'ima'] as const).map((t) => [t, Buffer.from(t, 'latin1')]);
// ima.h: IMA_TEMPLATE_NAME_LEN_MAX 15, IMA_EVENT_NAME_LEN_MAX 255
const NAME_MAX = 15;
const IMA_EVENT_NAME_MAX = 255;
/** No real template data comes near this; a larger length is hostile or garbage, not "not yet read". */
export const TEMPLATE_DATA_MAX = 1 << 20;

/** Where one entry's fields are, as absolute positions within the buffer being framed. */
export interface ImaFrame {
  pcr: number;
  hashAt: number;
  template: ImaTemplate;
  dataAt: number;
  dataLen: number;
  end: number;
}

export function newFrame(): ImaFrame {
  return { pcr: 0, hashAt: 0, template: 'ima-ng', dataAt: 0, dataLen: 0, end: 0 };
}

function templateAt(buf: Buffer, at: number, len: number): ImaTemplate | undefined {
  for (const [template, name] of TEMPLATES) {
    if (name.length !== len) continue;
    let i = 0;
    while (i < len && buf[at + i] === name[i]) i++;
    if (i === len) return template;
  }
  return undefined;
}

function checkLength(n: number, max: number, what: string, at: number): void {
  if (n > max) throw new DecodeError('limit', what, at, `length ${n} exceeds the maximum ${max}`);
}

/**
 * Frames the entry at `at` into `f` (reused by the caller: no allocation here) and returns true, or
 * returns false when `buf` ends before the entry does. A length beyond its limit or an unknown
 * template throws DecodeError at `base + position`.
 */
export function frameEntry(buf: Buffer, at: number, base: number, f: ImaFrame): boolean {
  const len = buf.length;
  if (at + 28 > len) return false;
  const nameLen = buf.readUInt32LE(at + 24);
  checkLength(nameLen, NAME_MAX, 'IMA template name', base + at + 24);
  const nameAt = at + 28;
  if (nameAt + nameLen + 4 > len) return false;
  const template = templateAt(buf, nameAt, nameLen);
  if (!template) throw new DecodeError('unsupported', 'IMA template name', base + nameAt, `unknown template '${buf.toString('latin1', nameAt, nameAt + nameLen)}'`);
  let dataAt = nameAt + nameLen;
  let dataLen: number;
  if (template === 'ima') {
    if (dataAt + 24 > len) return false;
    const fileNameLen = buf.readUInt32LE(dataAt + 20);
    checkLength(fileNameLen, IMA_EVENT_NAME_MAX, 'IMA ima template file name', base + dataAt + 20);
    dataLen = 24 + fileNameLen;
  } else {
    dataLen = buf.readUInt32LE(dataAt);
    checkLength(dataLen, TEMPLATE_DATA_MAX, 'IMA template data', base + dataAt);
    dataAt += 4;
  }
  if (dataAt + dataLen > len) return false;
  f.pcr = buf.readUInt32LE(at);
  f.hashAt = at + 4;
  f.template = template;
  f.dataAt = dataAt;
  f.dataLen = dataLen;
  f.end = dataAt + dataLen;
  return true;
}

export function entryOf(buf: Buffer, base: number, at: number, f: ImaFrame): ImaEntry {
  return {
    offset: base + at,
    pcr: f.pcr,
    templateHash: buf.subarray(f.hashAt, f.hashAt + TEMPLATE_HASH_SIZE),
    template: f.template,
    templateData: buf.subarray(f.dataAt, f.end),
    dataOffset: base + f.dataAt,
  };
}

export function truncatedEntry(at: number, remaining: number): DecodeError {
  return new DecodeError('truncated', 'IMA measurement entry', at, `entry cut off: ${remaining} bytes left`);
}

/** Iterates the entries of a whole binary list; a list ending inside an entry throws DecodeError. */
export function* iterateImaBinary(buf: Buffer, base = 0): Generator<ImaEntry> {
  const f = newFrame();
  let at = 0;
  while (at < buf.length) {
    if (!frameEntry(buf, at, base, f)) throw truncatedEntry(base + at, buf.length - at);
    yield entryOf(buf, base, at, f);
    at = f.end;
  }
}

export function decodeImaBinary(buf: Buffer, base = 0): ImaEntry[] {
  return [...iterateImaBinary(buf, base)];
}

/** The bytes of one entry as the kernel lists it (for building lists in tests and benches). */
export function encodeImaEntry(e: Omit<ImaEntry, 'offset' | 'dataOffset'>): Buffer {
  const name = Buffer.from(e.template, 'latin1');
  const head = Buffer.alloc(28);
  head.writeUInt32LE(e.pcr, 0);
  e.templateHash.copy(head, 4);
  head.writeUInt32LE(name.length, 24);
  if (e.template === 'ima') return Buffer.concat([head, name, e.templateData]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(e.templateData.length, 0);
  return Buffer.concat([head, name, len, e.templateData]);
}
