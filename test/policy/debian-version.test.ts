import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareDebianVersionStrings as cmp,
  DebianVersionError,
  parseDebianVersion,
} from '../../src/policy/debian-version';

const sign = (n: number): number => Math.sign(n);

test('Debian Policy 5.6.12 order: tilde before the end, the end before letters, letters before other characters', () => {
  const ordered = ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a', '1.0+', '1.0.1', '1.1', '1.10', '2', '1:0.1'];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++)
      assert.equal(sign(cmp(ordered[i], ordered[j])), sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
  }
});

test('Debian versions as the security archive has them', () => {
  for (const [older, newer] of [
    ['3.0.9-1', '3.0.11-1~deb12u2'],
    ['3.0.11-1~deb12u1', '3.0.11-1~deb12u2'],
    ['3.0.11-1~deb12u2', '3.0.11-1'],
    ['5.2.15-2', '5.2.15-2+b8'],
    ['5.2.15-2+b8', '5.2.15-2+deb12u1'],
    ['2025a-0+deb12u1', '2025b-0+deb12u2'],
    ['1:1.2.13.dfsg-1', '1:1.2.13.dfsg-1+deb12u1'],
    ['9.9.9-9', '1:1.0-1'],
    ['1.0-1', '1.0-1.1'],
    ['1.0-9', '1.0-10'],
    ['2.36-9+deb12u3', '2.36-9+deb12u10'],
    ['1.123456789012345678901234567889', '1.123456789012345678901234567890'],
  ]) {
    assert.ok(cmp(older, newer) < 0, `${older} < ${newer}`);
    assert.ok(cmp(newer, older) > 0, `${newer} > ${older}`);
  }
  for (const [a, b] of [
    ['1.0', '1.0-0'],
    ['01.02', '1.2'],
    ['0:1.0-1', '1.0-1'],
    ['00:1', '1'],
  ])
    assert.equal(cmp(a, b), 0, `${a} = ${b}`);
});

test('parts: epoch, upstream version (hyphens allowed when a revision follows), revision', () => {
  assert.deepEqual(parseDebianVersion('2:3.8.2+dfsg-1+b1'), { epoch: '2', upstream: '3.8.2+dfsg', revision: '1+b1' });
  assert.deepEqual(parseDebianVersion('1.2-3-4'), { epoch: '0', upstream: '1.2-3', revision: '4' });
  assert.deepEqual(parseDebianVersion('43'), { epoch: '0', upstream: '43', revision: '0' });
});

test('what is no Debian version is refused with the reason', () => {
  for (const [bad, why] of [
    ['', /0 characters/],
    [':1.0', /epoch '' /],
    ['x:1.0', /epoch 'x'/],
    ['1.0-', /revision '' /],
    ['a1.0', /does not start with a digit/],
    ['1.0_1', /upstream version '1.0_1'/],
    ['1:2:3', /upstream version '2:3'/],
    ['1.0-1_2', /revision '1_2'/],
    ['1'.repeat(257), /257 characters/],
  ] as const)
    assert.throws(
      () => parseDebianVersion(bad),
      (e: unknown) => e instanceof DebianVersionError && why.test(e.message),
      bad,
    );
});

test('the order is total: antisymmetric and transitive on generated versions', () => {
  let seed = 42;
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const alphabet = ['0', '1', '9', '10', '.', '+', '~', 'a', 'z', 'A'];
  const gen = (): string => {
    let up = String(rand(3));
    for (let k = rand(6); k > 0; k--) up += alphabet[rand(alphabet.length)];
    return `${rand(4) === 0 ? `${rand(3)}:` : ''}${up}${rand(2) === 0 ? `-${1 + rand(3)}${rand(2) ? '~deb12u1' : ''}` : ''}`;
  };
  const vs = Array.from({ length: 300 }, gen);
  const sorted = [...vs].sort(cmp);
  for (let i = 1; i < sorted.length; i++)
    assert.ok(cmp(sorted[i - 1], sorted[i]) <= 0, `${sorted[i - 1]} <= ${sorted[i]}`);
  for (let i = 0; i < 2000; i++) {
    const a = vs[rand(vs.length)];
    const b = vs[rand(vs.length)];
    assert.equal(sign(cmp(a, b)), -sign(cmp(b, a)) || 0, `${a} vs ${b}`);
  }
});
