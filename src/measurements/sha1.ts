import { loadWords, padWords, storeWords } from './sha-pad';

/**
 * SHA-1 (FIPS 180-4, 6.1) for the IMA hot path: hashing straight from a range of a larger buffer
 * into a caller's buffer, with no allocation per call. node:crypto costs ~0.8 µs per call in fixed
 * overhead, more than hashing one 64-byte block here; see bench/measurements.ts for the figures.
 * Everything else uses node:crypto. Checked against node:crypto in test/measurements/sha.test.ts.
 */
const W = new Int32Array(80);
const H = new Int32Array(5);
const TAIL = new Int32Array(32);

/**
 * FIPS 180-4 6.1.2 over W[0..15] (expanded here), with 4.1.1's f(t) written out: Ch for rounds
 * 0-19, Parity 20-39, Maj 40-59, Parity 60-79, and 4.2.1's K(t), the last two as signed 32-bit
 * (0x8f1bbcdc, 0xca62c1d6). Five rounds per iteration with the roles of a..e rotated instead of
 * the variables shifted, and no helper calls: V8 stops inlining small functions past a budget per
 * function. About 1.4x the one-round-per-iteration loop (bench/measurements.ts).
 */
function compress(): void {
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = H[0],
    b = H[1],
    c = H[2],
    d = H[3],
    e = H[4],
    i = 0;
  for (; i < 20; i += 5) {
    e = (e + ((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + 0x5a827999 + W[i]) | 0;
    b = (b << 30) | (b >>> 2);
    d = (d + ((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + 0x5a827999 + W[i + 1]) | 0;
    a = (a << 30) | (a >>> 2);
    c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + 0x5a827999 + W[i + 2]) | 0;
    e = (e << 30) | (e >>> 2);
    b = (b + ((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + 0x5a827999 + W[i + 3]) | 0;
    d = (d << 30) | (d >>> 2);
    a = (a + ((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + 0x5a827999 + W[i + 4]) | 0;
    c = (c << 30) | (c >>> 2);
  }
  for (; i < 40; i += 5) {
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + 0x6ed9eba1 + W[i]) | 0;
    b = (b << 30) | (b >>> 2);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + 0x6ed9eba1 + W[i + 1]) | 0;
    a = (a << 30) | (a >>> 2);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + 0x6ed9eba1 + W[i + 2]) | 0;
    e = (e << 30) | (e >>> 2);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + 0x6ed9eba1 + W[i + 3]) | 0;
    d = (d << 30) | (d >>> 2);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + 0x6ed9eba1 + W[i + 4]) | 0;
    c = (c << 30) | (c >>> 2);
  }
  for (; i < 60; i += 5) {
    e = (e + ((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) - 0x70e44324 + W[i]) | 0;
    b = (b << 30) | (b >>> 2);
    d = (d + ((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) - 0x70e44324 + W[i + 1]) | 0;
    a = (a << 30) | (a >>> 2);
    c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) - 0x70e44324 + W[i + 2]) | 0;
    e = (e << 30) | (e >>> 2);
    b = (b + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) - 0x70e44324 + W[i + 3]) | 0;
    d = (d << 30) | (d >>> 2);
    a = (a + ((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) - 0x70e44324 + W[i + 4]) | 0;
    c = (c << 30) | (c >>> 2);
  }
  for (; i < 80; i += 5) {
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) - 0x359d3e2a + W[i]) | 0;
    b = (b << 30) | (b >>> 2);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) - 0x359d3e2a + W[i + 1]) | 0;
    a = (a << 30) | (a >>> 2);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) - 0x359d3e2a + W[i + 2]) | 0;
    e = (e << 30) | (e >>> 2);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) - 0x359d3e2a + W[i + 3]) | 0;
    d = (d << 30) | (d >>> 2);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) - 0x359d3e2a + W[i + 4]) | 0;
    c = (c << 30) | (c >>> 2);
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
}

function block(b: Uint8Array, o: number): void {
  loadWords(W, 0, b, o, 16);
  compress();
}

function tailBlock(at: number): void {
  for (let i = 0; i < 16; i++) W[i] = TAIL[at + i];
  compress();
}

function init(): void {
  H[0] = 0x67452301;
  H[1] = 0xefcdab89 | 0;
  H[2] = 0x98badcfe | 0;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0 | 0;
}

/** SHA-1 of src[off, off+len) written to out[outAt, outAt+20). */
export function sha1Into(src: Uint8Array, off: number, len: number, out: Uint8Array, outAt: number): void {
  init();
  const end = off + len;
  let o = off;
  for (; o + 64 <= end; o += 64) block(src, o);
  const blocks = padWords(TAIL, src, o, end, len);
  tailBlock(0);
  if (blocks === 2) tailBlock(16);
  storeWords(H, 5, out, outAt);
}

/** PCR extend in the SHA-1 bank, in place: pcr = SHA-1(pcr || digest[at, at+20)). One block, no copy. */
export function sha1ExtendInPlace(pcr: Uint8Array, digest: Uint8Array, at: number): void {
  init();
  loadWords(W, 0, pcr, 0, 5);
  loadWords(W, 5, digest, at, 5);
  W[10] = 0x80000000 | 0;
  W[11] = 0;
  W[12] = 0;
  W[13] = 0;
  W[14] = 0;
  W[15] = 320; // FIPS 180-4 5.1.1: 40 bytes = 320 bits
  compress();
  storeWords(H, 5, pcr, 0);
}
