import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { sha1ExtendInPlace, sha1Into } from '../../src/measurements/sha1';
import { sha256ExtendInPlace, sha256Into } from '../../src/measurements/sha256';

const HASHES = [
  { name: 'sha1', size: 20, into: sha1Into, extend: sha1ExtendInPlace },
  { name: 'sha256', size: 32, into: sha256Into, extend: sha256ExtendInPlace },
] as const;

for (const h of HASHES) {
  const reference = (b: Buffer): string => createHash(h.name).update(b).digest('hex');

  test(`${h.name}: hashing a range equals node:crypto for every length around the block boundaries`, () => {
    const out = Buffer.alloc(h.size + 7);
    for (let len = 0; len <= 300; len++) {
      const src = randomBytes(len + 7);
      h.into(src, 3, len, out, 5);
      assert.equal(out.subarray(5, 5 + h.size).toString('hex'), reference(src.subarray(3, 3 + len)), `length ${len}`);
    }
  });

  test(`${h.name}: hashing equals node:crypto on random multi-block inputs at random offsets`, () => {
    const out = Buffer.alloc(h.size);
    for (let i = 0; i < 200; i++) {
      const src = randomBytes(randomInt(1, 5000));
      const off = randomInt(0, src.length);
      const len = randomInt(0, src.length - off + 1);
      h.into(src, off, len, out, 0);
      assert.equal(out.toString('hex'), reference(src.subarray(off, off + len)), `offset ${off} length ${len}`);
    }
  });

  test(`${h.name}: extend in place equals H(pcr || digest), repeatedly`, () => {
    const pcr = randomBytes(h.size);
    let expected = Buffer.from(pcr);
    for (let i = 0; i < 50; i++) {
      const digest = randomBytes(h.size + 8);
      expected = createHash(h.name)
        .update(expected)
        .update(digest.subarray(3, 3 + h.size))
        .digest();
      h.extend(pcr, digest, 3);
      assert.equal(pcr.toString('hex'), expected.toString('hex'), `extend ${i}`);
    }
  });
}
