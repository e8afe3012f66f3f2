import { Reader } from '../../../bytes/cursor';
import { DecodeError } from '../../../bytes/errors';

// TextDecoder with fatal: malformed UTF-8 is an error, not U+FFFD; ignoreBOM keeps a leading
// BOM so that decode → encode gives back the same bytes.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes bytes as UTF-8 (RFC 5792 strings are UTF-8), naming `at` when they are not. */
export function utf8Text(bytes: Buffer, what: string, at: number): string {
  try {
    return strict.decode(bytes);
  } catch {
    throw new DecodeError('invalid', what, at, 'not valid UTF-8');
  }
}

/** The rest of the reader as UTF-8 text. */
export function restText(r: Reader, what: string): string {
  const at = r.offset;
  return utf8Text(r.rest(), what, at);
}

/** A u8/u16/u32 length-prefixed UTF-8 string. */
export function prefixedText(r: Reader, width: 1 | 2 | 4, what: string): string {
  const bytes = r.lengthPrefixed(width, what);
  return utf8Text(bytes, what, r.offset - bytes.length);
}

/** Reads an element count and checks it against the bytes there (each element needs at least `minSize`). */
export function readCount(r: Reader, width: 2 | 4, minSize: number, what: string): number {
  const at = r.offset;
  const n = width === 2 ? r.u16(what) : r.u32(what);
  if (n * minSize > r.remaining) {
    throw new DecodeError('overrun', what, at, `${n} entries cannot fit in the ${r.remaining} bytes left`);
  }
  return n;
}

/** Returns the index of `v` in a name table, or throws `invalid` at `at` when out of range. */
export function enumValue<T extends string>(names: readonly T[], v: number, what: string, at: number): T {
  if (v >= names.length) throw new DecodeError('invalid', what, at, `value ${v} is not defined`);
  return names[v];
}
