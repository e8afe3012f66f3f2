import type { Reader } from '../bytes/cursor';
import { DecodeError } from '../bytes/errors';

// The TCG PC Client event log and the IMA binary list are little-endian (host order on x86/ARM):
// these read through the bounds-checked Reader so every check and offset stays in one place.

export function u16le(r: Reader, what: string): number {
  return r.bytes(2, what).readUInt16LE(0);
}

export function u32le(r: Reader, what: string): number {
  return r.bytes(4, what).readUInt32LE(0);
}

/** A u32le length followed by that many bytes; the length is checked against the bytes really there. */
export function lengthPrefixedLe(r: Reader, what: string, max = Number.MAX_SAFE_INTEGER): Buffer {
  const at = r.offset;
  const n = u32le(r, `${what} length`);
  if (n > max) throw new DecodeError('limit', what, at, `length ${n} exceeds the maximum ${max}`);
  if (n > r.remaining) throw new DecodeError('overrun', what, at, `length ${n} exceeds the ${r.remaining} bytes left`);
  return r.bytes(n, what);
}
