/** Shared by sha1.ts and sha256.ts: big-endian words and the message padding of both. */

/** Reads `n` big-endian 32-bit words from b[o..] into w[at..]. */
export function loadWords(w: Int32Array, at: number, b: Uint8Array, o: number, n: number): void {
  for (let i = 0; i < n; i++, o += 4) w[at + i] = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

/** Writes the `n` words of h as big-endian bytes to out[at..]: the digest. */
export function storeWords(h: Int32Array, n: number, out: Uint8Array, at: number): void {
  for (let i = 0; i < n; i++, at += 4) {
    const v = h[i];
    out[at] = v >>> 24;
    out[at + 1] = v >>> 16;
    out[at + 2] = v >>> 8;
    out[at + 3] = v;
  }
}

/**
 * Writes the last, padded block(s) of a `len`-byte message as big-endian words into `tail`
 * (32 words): the unhashed rest src[from, end) (under 64 bytes), then the padding. Returns how
 * many blocks that makes, 1 or 2. FIPS 180-4 5.1.1: 0x80, zeros, then the message length in bits
 * as a 64-bit big-endian number.
 */
export function padWords(tail: Int32Array, src: Uint8Array, from: number, end: number, len: number): 1 | 2 {
  const r = end - from;
  const q = r >> 2;
  loadWords(tail, 0, src, from, q);
  let word = 0x80 << (24 - 8 * (r & 3));
  for (let i = 4 * q; i < r; i++) word |= src[from + i] << (24 - 8 * (i & 3));
  tail[q] = word;
  const blocks = r < 56 ? 1 : 2;
  const last = 16 * blocks;
  for (let i = q + 1; i < last - 2; i++) tail[i] = 0;
  tail[last - 2] = Math.floor(len / 0x20000000);
  tail[last - 1] = len * 8; // an Int32Array keeps the low 32 bits
  return blocks;
}
