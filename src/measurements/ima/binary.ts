import { escapeText, templateFields, type ImaTemplate } from './template';
import { DecodeError } from '../../bytes/errors';

/**
 * The kernel's binary_runtime_measurements (security/integrity/ima/ima_fs.c, ima_measurements_show),
 * host byte order (little-endian on every platform we run on), per entry:
 *   u32 pcr | template hash | u32 name length | name | u32 data length | data
 * except the original `ima` template, which has no data length: its data is a 20-byte digest,
 * then u32 length + file name (no NUL). The template hash is a SHA-1 in the classic list and the
 * bank's digest in a per-bank list (binary_runtime_measurements_sha256, ...; Linux 6.10+).
 */

/** One entry of an IMA list as read: nothing in it is trusted until PCR 10 replays to a quoted value. */
export interface ImaEntry {
  /** Absolute byte offset of the entry (or, for the ascii list, of its line). */
  offset: number;
  pcr: number;
  /** The template hash the kernel recorded (SHA-1, or the list's bank); all zeros marks a violation. */
  templateHash: Buffer;
  /** Template name as listed: a built-in name or an ima_template_fmt field list. */
  template: ImaTemplate;
  /** Template data as listed (for `ima`: digest, u32 length, name). */
  templateData: Buffer;
  /** Absolute offset of templateData (for errors inside it). */
  dataOffset: number;
}

/** The template hash size of the classic (SHA-1) list. */
export const TEMPLATE_HASH_SIZE = 20;
// the commonest first: names are matched byte by byte, no string per entry
const COMMON: readonly [ImaTemplate, Buffer][] = ['ima-ng', 'ima-sig', 'ima-buf', 'ima'].map((t) => [
  t,
  Buffer.from(t, 'latin1'),
]);
/** ima.h IMA_TEMPLATE_NUM_FIELDS_MAX 15 field ids of up to 16 bytes, with separators: far below this. */
const NAME_MAX = 255;
// ima.h: IMA_EVENT_NAME_LEN_MAX 255
const IMA_EVENT_NAME_MAX = 255;
/** No real template data comes near this; a larger length is hostile or garbage, not "not yet read". */
export const TEMPLATE_DATA_MAX = 1 << 20;
/** PC Client PTP: PCR indexes 0-23. */
export const PCR_MAX = 23;

/** Where one entry's fields are, as absolute positions within the buffer being framed. */
export interface ImaFrame {
  /** Template hash size of the list being framed: 20, or the bank's digest size for a per-bank list. */
  readonly hashSize: number;
  pcr: number;
  hashAt: number;
  template: ImaTemplate;
  dataAt: number;
  dataLen: number;
  end: number;
}

export function newFrame(hashSize = TEMPLATE_HASH_SIZE): ImaFrame {
  return { hashSize, pcr: 0, hashAt: 0, template: 'ima-ng', dataAt: 0, dataLen: 0, end: 0 };
}

function templateAt(buf: Buffer, at: number, len: number): ImaTemplate | undefined {
  for (const [template, name] of COMMON) {
    if (name.length !== len) continue;
    let i = 0;
    while (i < len && buf[at + i] === name[i]) i++;
    if (i === len) return template;
  }
  const name = buf.toString('latin1', at, at + len);
  return templateFields(name) ? name : undefined;
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
  const nameLenAt = at + 4 + f.hashSize;
  if (nameLenAt + 4 > len) return false;
  const pcr = buf.readUInt32LE(at);
  if (pcr > PCR_MAX)
    throw new DecodeError('invalid', 'IMA PCR index', base + at, `PCR ${pcr} does not exist (0-${PCR_MAX})`);
  const nameLen = buf.readUInt32LE(nameLenAt);
  checkLength(nameLen, NAME_MAX, 'IMA template name', base + nameLenAt);
  const nameAt = nameLenAt + 4;
  if (nameAt + nameLen + 4 > len) return false;
  const template = templateAt(buf, nameAt, nameLen);
  if (!template)
    throw new DecodeError(
      'unsupported',
      'IMA template name',
      base + nameAt,
      `unknown template '${escapeText(buf.toString('latin1', nameAt, nameAt + nameLen))}'`,
    );
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
  f.pcr = pcr;
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
    templateHash: buf.subarray(f.hashAt, f.hashAt + f.hashSize),
    template: f.template,
    templateData: buf.subarray(f.dataAt, f.end),
    dataOffset: base + f.dataAt,
  };
}

export function truncatedEntry(at: number, remaining: number): DecodeError {
  return new DecodeError('truncated', 'IMA measurement entry', at, `entry cut off: ${remaining} bytes left`);
}

/** Iterates the entries of a whole binary list; a list ending inside an entry throws DecodeError. */
export function* iterateImaBinary(buf: Buffer, base = 0, hashSize = TEMPLATE_HASH_SIZE): Generator<ImaEntry> {
  const f = newFrame(hashSize);
  let at = 0;
  while (at < buf.length) {
    if (!frameEntry(buf, at, base, f)) throw truncatedEntry(base + at, buf.length - at);
    yield entryOf(buf, base, at, f);
    at = f.end;
  }
}

export function decodeImaBinary(buf: Buffer, base = 0, hashSize = TEMPLATE_HASH_SIZE): ImaEntry[] {
  return [...iterateImaBinary(buf, base, hashSize)];
}

/** The end of a list that is not a whole entry: where it starts and how many bytes it has. */
export interface ImaTail {
  offset: number;
  length: number;
}

/**
 * The entries of a list up to its last complete entry, and the tail after it if any (the kernel may
 * be caught mid-write, or a byte was appended): the caller decides what an incomplete list means.
 * A malformed entry still throws DecodeError.
 */
export function decodeImaBinaryPrefix(
  buf: Buffer,
  hashSize = TEMPLATE_HASH_SIZE,
): { entries: ImaEntry[]; tail?: ImaTail } {
  const f = newFrame(hashSize);
  const entries: ImaEntry[] = [];
  let at = 0;
  while (at < buf.length && frameEntry(buf, at, 0, f)) {
    entries.push(entryOf(buf, 0, at, f));
    at = f.end;
  }
  return at < buf.length ? { entries, tail: { offset: at, length: buf.length - at } } : { entries };
}

/** The bytes of one entry as the kernel lists it (for building lists in tests and benches). */
export function encodeImaEntry(e: Omit<ImaEntry, 'offset' | 'dataOffset'>): Buffer {
  const name = Buffer.from(e.template, 'latin1');
  const head = Buffer.alloc(8 + e.templateHash.length);
  head.writeUInt32LE(e.pcr, 0);
  e.templateHash.copy(head, 4);
  head.writeUInt32LE(name.length, 4 + e.templateHash.length);
  if (e.template === 'ima') return Buffer.concat([head, name, e.templateData]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(e.templateData.length, 0);
  return Buffer.concat([head, name, len, e.templateData]);
}

/** Template hash sizes a list can have: SHA-1, and the per-bank lists' sha256/sm3_256, sha384, sha512. */
const LIST_HASH_SIZES = [20, 32, 48, 64] as const;

/**
 * The bank a securityfs list's name says its template hashes are in: `..._sha256` → sha256
 * (Linux 6.10+ per-bank lists, ima_fs.c create_securityfs_measurement_lists), sha1 otherwise.
 */
export function imaListBankOf(path: string): string | undefined {
  return /_runtime_measurements_([a-z0-9_]+)$/.exec(path)?.[1];
}

/**
 * The template hash size of a binary list found from its first entry: the one size at which it
 * frames as an entry with a known template. Undefined when none or several fit.
 */
export function probeImaHashSize(buf: Buffer): number | undefined {
  const fits = LIST_HASH_SIZES.filter((size) => {
    try {
      return frameEntry(buf, 0, 0, newFrame(size));
    } catch (e) {
      if (e instanceof DecodeError) return false;
      throw e;
    }
  });
  return fits.length === 1 ? fits[0] : undefined;
}
