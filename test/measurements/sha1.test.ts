import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { sha1ExtendInPlace, sha1Into } from '../../src/measurements/sha1';

test('sha1Into equals node:crypto for every length around the block boundaries', () => {
  const out = Buffer.alloc(24);
  for (let len = 0; len <= 300; len++) {
    const src = randomBytes(len + 7);
    sha1Into(src, 3, len, out, 2);
    assert.equal(out.subarray(2, 22).toString('hex'), createHash('sha1').update(src.subarray(3, 3 + len)).digest('hex'), `length ${len}`);
  }
});

test('sha1ExtendInPlace equals SHA-1(pcr || digest)', () => {
  const pcr = randomBytes(20);
  const digest = randomBytes(30);
  const expected = createHash('sha1').update(pcr).update(digest.subarray(5, 25)).digest('hex');
  sha1ExtendInPlace(pcr, digest, 5);
  assert.equal(pcr.toString('hex'), expected);
});
