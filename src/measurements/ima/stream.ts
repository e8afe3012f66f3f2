import { closeSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DecodeError } from '../../bytes/errors';
import { iterateImaAscii } from './ascii';
import {
  entryOf,
  frameEntry,
  newFrame,
  TEMPLATE_HASH_SIZE,
  truncatedEntry,
  type ImaEntry,
  type ImaFrame,
  type ImaTail,
} from './binary';

/** Read in chunks of this size: a chunk's output lines are held until it ends, so small enough to keep RSS flat. */
const CHUNK = 1 << 16;
/** Default cap on what is read: a real list of 2,000,000 entries is ~250 MB. */
export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;
/** An ascii line holds at most one entry: its template data (binary.ts TEMPLATE_DATA_MAX) as hex, and some. */
const ASCII_LINE_MAX = (2 << 20) + 4096;

/** Reading stopped at the cap: the file is endless (/dev/zero, a FIFO) or far larger than any list. */
export class ReadLimitError extends Error {
  override readonly name = 'ReadLimitError';
  constructor(
    readonly path: string,
    readonly limit: number,
  ) {
    super(`${path}: stopped reading after ${limit} bytes (the limit): an endless stream or not a measurement list`);
  }
}

export interface ScanOptions {
  /** Template hash size of a binary list (20, or the per-bank list's bank size). */
  hashSize?: number;
  /** Stop with ReadLimitError after this many bytes (default DEFAULT_MAX_BYTES). */
  maxBytes?: number;
  /** Called after each chunk's entries: the place to wait for output to drain. */
  afterChunk?: () => Promise<void>;
}

/**
 * Reads a file through one reused buffer: after each read, `consume` gets the unconsumed bytes
 * (absolute offset `base` of the first) and returns how many it used; the rest moves to the front.
 * Returns the bytes read and what was left unconsumed at the end.
 */
async function readThrough(
  path: string,
  opts: ScanOptions,
  consume: (buf: Buffer, base: number) => number,
): Promise<{ bytes: number; rest: Buffer }> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const fh: FileHandle = await open(path, 'r');
  try {
    let work = Buffer.allocUnsafe(2 * CHUNK);
    let have = 0;
    let base = 0;
    while (true) {
      if (work.length - have < CHUNK) {
        // an entry longer than a chunk (up to TEMPLATE_DATA_MAX): grow once for it
        const bigger = Buffer.allocUnsafe(have + 2 * CHUNK);
        work.copy(bigger, 0, 0, have);
        work = bigger;
      }
      const { bytesRead } = await fh.read(work, have, CHUNK, null);
      if (bytesRead === 0) break;
      if (base + have + bytesRead > maxBytes) throw new ReadLimitError(path, maxBytes);
      have += bytesRead;
      const used = consume(work.subarray(0, have), base);
      work.copy(work, 0, used, have);
      have -= used;
      base += used;
      await opts.afterChunk?.();
    }
    return { bytes: base + have, rest: Buffer.from(work.subarray(0, have)) };
  } finally {
    await fh.close();
  }
}

/**
 * Streams a binary list from a file without holding it: each complete entry is framed in place and
 * handed to `visit` (buffer, absolute base of the buffer, entry position, frame; valid only during
 * the call), then forgotten. Returns the bytes read and the unfinished tail, if any, which the
 * caller judges. A malformed entry throws DecodeError with its absolute offset.
 */
export async function scanImaBinaryFile(
  path: string,
  visit: (buf: Buffer, base: number, at: number, f: ImaFrame) => void,
  opts: ScanOptions = {},
): Promise<{ bytes: number; tail?: ImaTail }> {
  const frame = newFrame(opts.hashSize ?? TEMPLATE_HASH_SIZE);
  const { bytes, rest } = await readThrough(path, opts, (buf, base) => {
    let at = 0;
    while (at < buf.length && frameEntry(buf, at, base, frame)) {
      visit(buf, base, at, frame);
      at = frame.end;
    }
    return at;
  });
  return { bytes, tail: rest.length > 0 ? { offset: bytes - rest.length, length: rest.length } : undefined };
}

/** Streams an ascii list line by line (entries rebuilt with binary template data), with the same cap and a cap per line. */
export async function scanImaAsciiFile(
  path: string,
  visit: (e: ImaEntry) => void,
  opts: ScanOptions = {},
): Promise<{ bytes: number }> {
  let hashSize = opts.hashSize;
  const lines = (buf: Buffer, base: number) => {
    for (const e of iterateImaAscii(buf, base, hashSize)) {
      hashSize ??= e.templateHash.length;
      visit(e);
    }
  };
  const { bytes, rest } = await readThrough(path, opts, (buf, base) => {
    const nl = buf.lastIndexOf(0x0a);
    if (nl < 0) {
      if (buf.length > ASCII_LINE_MAX)
        throw new DecodeError('limit', 'IMA ascii line', base, `no end of line within ${ASCII_LINE_MAX} bytes`);
      return 0;
    }
    lines(buf.subarray(0, nl + 1), base);
    return nl + 1;
  });
  if (rest.length > 0) lines(rest, bytes - rest.length);
  return { bytes };
}

/**
 * Streams the entries of a binary list from a file (securityfs or a copy) as entry objects. The list
 * may grow while it is read (IMA keeps measuring); entries after the read are not seen. A list that
 * ends inside an entry throws DecodeError.
 */
export async function* streamImaFile(path: string, chunkSize = 1 << 16): AsyncGenerator<ImaEntry> {
  const fh = await open(path, 'r');
  try {
    const frame = newFrame();
    let pending: Buffer = Buffer.alloc(0);
    let base = 0;
    while (true) {
      const chunk = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await fh.read(chunk, 0, chunkSize, null);
      if (bytesRead === 0) break;
      pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let at = 0;
      while (at < pending.length && frameEntry(pending, at, base, frame)) {
        yield entryOf(pending, base, at, frame);
        at = frame.end;
      }
      pending = pending.subarray(at);
      base += at;
    }
    if (pending.length > 0) throw truncatedEntry(base, pending.length);
  } finally {
    await fh.close();
  }
}

/**
 * The entries of a binary list file's first `end` bytes, read synchronously and in order, one
 * chunk at a time (for evidence made while a batch is being built): each entry's buffers are views
 * of its own chunk, which is never reused. The list must still hold those bytes (securityfs lists
 * only grow): a file that ends sooner, or bytes that no longer frame as entries, throw DecodeError.
 */
export function* readImaBinaryPrefixSync(
  path: string,
  end: number,
  hashSize = TEMPLATE_HASH_SIZE,
  chunkSize = CHUNK,
): Generator<ImaEntry> {
  const fd = openSync(path, 'r');
  try {
    const frame = newFrame(hashSize);
    let pending = Buffer.alloc(0);
    let base = 0;
    while (base + pending.length < end) {
      const want = Math.min(chunkSize, end - base - pending.length);
      const chunk = Buffer.allocUnsafe(pending.length + want);
      pending.copy(chunk, 0);
      // sequential reads (position null): a securityfs seq_file would walk the list again for each positioned read
      const n = readSync(fd, chunk, pending.length, want, null);
      if (n === 0) throw truncatedEntry(base, pending.length);
      const buf = chunk.subarray(0, pending.length + n);
      let at = 0;
      while (at < buf.length && frameEntry(buf, at, base, frame)) {
        yield entryOf(buf, base, at, frame);
        at = frame.end;
      }
      pending = buf.subarray(at);
      base += at;
    }
    if (pending.length > 0) throw truncatedEntry(base, pending.length);
  } finally {
    closeSync(fd);
  }
}
