import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkImaSignature, decodeImaSignature, imaKeyId, imaKeyring, parseImaKeys } from '../../src/measurements/ima';
import { FIXTURES } from './_fixtures';

// IMA file signatures made by evmctl (test/data/fixtures/ima/sig/PROVENANCE.md), checked against signing certificates.
const SIG = join(FIXTURES, 'ima', 'sig');
const read = (name: string) => readFileSync(join(SIG, name));
const keyring = (...names: string[]) => imaKeyring(names.flatMap((n) => parseImaKeys(read(n), n)));
const keys = keyring('ima-signing.pem', 'other-signing.pem');
const digest = createHash('sha256').update(read('signed.txt')).digest();

test('an evmctl signature decodes (v2, sha256, key id of the certificate) and verifies: ok', () => {
  const sig = read('signed.txt.sig');
  const s = decodeImaSignature(sig);
  assert.deepEqual([s.version, s.hashAlgorithm, s.keyId, s.signature.length], [2, 'sha256', '13f4d53d', 256]);
  assert.equal(imaKeyId(new X509Certificate(read('ima-signing.pem'))), '13f4d53d');
  assert.deepEqual(checkImaSignature(sig, 'sha256', digest, keys), { verdict: 'ok', detail: 'signed by key 13f4d53d' });
});

test('a tampered signature or file is bad; no signature is missing; a key not imported is unknown-key', () => {
  const sig = read('signed.txt.sig');
  const tampered = Buffer.from(sig);
  tampered[tampered.length - 1] ^= 1;
  assert.equal(checkImaSignature(tampered, 'sha256', digest, keys).verdict, 'bad');
  const otherFile = createHash('sha256').update('changed').digest();
  assert.equal(checkImaSignature(sig, 'sha256', otherFile, keys).verdict, 'bad');
  assert.equal(checkImaSignature(sig, 'sha1', digest.subarray(0, 20), keys).verdict, 'bad');
  assert.equal(checkImaSignature(Buffer.alloc(0), 'sha256', digest, keys).verdict, 'missing');
  assert.equal(checkImaSignature(undefined, 'sha256', digest, keys).verdict, 'missing');
  const onlyOther = keyring('other-signing.pem');
  assert.equal(checkImaSignature(sig, 'sha256', digest, onlyOther).verdict, 'unknown-key');
  assert.equal(
    checkImaSignature(sig.subarray(0, 20), 'sha256', digest, keys).verdict,
    'bad',
    'a cut signature is malformed',
  );
});

test(
  'live: evmctl signs a fresh file and the signature verifies',
  { skip: existsSync('/usr/bin/evmctl') ? false : 'evmctl not installed (apt-get install ima-evm-utils)' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ima-sig-'));
    try {
      copyFileSync(join(SIG, 'ima-signing.key'), join(dir, 'k'));
      const f = join(dir, 'file');
      writeFileSync(f, `fresh ${Date.now()}\n`);
      const r = spawnSync('/usr/bin/evmctl', ['ima_sign', '--sigfile', '--key', join(dir, 'k'), '-a', 'sha256', f], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const sig = readFileSync(`${f}.sig`);
      assert.equal(
        checkImaSignature(sig, 'sha256', createHash('sha256').update(readFileSync(f)).digest(), keys).verdict,
        'ok',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
