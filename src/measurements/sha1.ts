/**
 * SHA-1 (FIPS 180-4, 6.1) for the IMA hot path: hashing straight from a range of a larger buffer
 * into a caller's buffer, with no allocation per call. node:crypto costs ~0.8 µs per call in fixed
 * overhead, more than hashing one 64-byte block here; see bench/measurements.ts for the figures.
 * Everything else uses node:crypto. Checked against node:crypto in test/measurements/sha1.test.ts.
 */
const W = new Int32Array(80);
const H = new Int32Array(5);
const TAIL = Buffer.alloc(128);

function be32(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function compress(): void {
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4];
  for (let i = 0; i < 80; i++) {
    let f: number, k: number;
    if (i < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
    else if (i < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
    else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc | 0; }
    else { f = b ^ c ^ d; k = 0xca62c1d6 | 0; }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0; H[4] = (H[4] + e) | 0;
}

function block(b: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++) W[i] = be32(b, o + 4 * i);
  compress();
}

function init(): void {
  H[0] = 0x67452301; H[1] = 0xefcdab89 | 0; H[2] = 0x98badcfe | 0; H[3] = 0x10325476; H[4] = 0xc3d2e1f0 | 0;
}

function store(out: Uint8Array, at: number): void {
  for (let i = 0; i < 5; i++) {
    const v = H[i];
    out[at + 4 * i] = v >>> 24; out[at + 4 * i + 1] = v >>> 16; out[at + 4 * i + 2] = v >>> 8; out[at + 4 * i + 3] = v;
  }
}

/** SHA-1 of src[off, off+len) written to out[outAt, outAt+20). */
export function sha1Into(src: Uint8Array, off: number, len: number, out: Uint8Array, outAt: number): void {
  init();
  const end = off + len;
  let o = off;
  for (; o + 64 <= end; o += 64) block(src, o);
  const r = end - o;
  for (let i = 0; i < end - o; i++) TAIL[i] = src[o + i];
  TAIL[r] = 0x80;
  const n = r < 56 ? 64 : 128;
  TAIL.fill(0, r + 1, n);
  // FIPS 180-4 5.1.1: the message length in bits, 64-bit big-endian, ends the padding
  TAIL.writeUInt32BE(Math.floor(len / 0x20000000), n - 8);
  TAIL.writeUInt32BE((len * 8) >>> 0, n - 4);
  block(TAIL, 0);
  if (n === 128) block(TAIL, 64);
  store(out, outAt);
}

/** PCR extend in the SHA-1 bank, in place: pcr = SHA-1(pcr || digest[at, at+20)). One block, no copy. */
export function sha1ExtendInPlace(pcr: Uint8Array, digest: Uint8Array, at: number): void {
  init();
  for (let i = 0; i < 5; i++) W[i] = be32(pcr, 4 * i);
  for (let i = 0; i < 5; i++) W[5 + i] = be32(digest, at + 4 * i);
  W[10] = 0x80000000 | 0;
  W[11] = 0; W[12] = 0; W[13] = 0; W[14] = 0;
  W[15] = 320; // 40 bytes
  compress();
  store(pcr, 0);
}
