import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { checkImaSignature, parseImaKeys } from '../../src/measurements/ima';
import { ImaKeyStore } from '../../src/policy/ima-keys';
import { migrate, MIGRATIONS } from '../../src/policy/schema';
import { SqliteDb } from '../../src/db/sqlite';
import { PolicyStore } from '../../src/policy/store';
import { FIXTURES } from '../measurements/_fixtures';

// IMA signing keys in the policy database (schema v4 ima_keys): `db import-ima-keys`, `db list
// ima-keys`, and the keyring the Attestation IMV checks signatures with.
const SIG = join(FIXTURES, 'ima', 'sig');
const CERT = join(SIG, 'ima-signing.pem');
const bin = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');
const cert = new X509Certificate(readFileSync(CERT));
const agent = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ima-keys-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a version 4 database upgrades to the ima_keys table and keeps its data', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'v4.db');
    const old = new SqliteDb(new Database(path), path);
    await migrate(
      old,
      MIGRATIONS.filter((m) => m.version <= 4),
    );
    await old.run("INSERT INTO devices (value, trusted, created) VALUES ('aa', 1, 0)");
    await old.close();
    const store = await PolicyStore.open(path);
    assert.equal(store.schemaVersion, 5);
    assert.equal((await store.findDevice('aa'))?.trusted, true);
    const keys = new ImaKeyStore(store, () => 1_800_000_000);
    assert.deepEqual(await keys.list(), []);
    assert.deepEqual(await keys.add([{ key: parseImaKeys(readFileSync(CERT), CERT)[0], source: CERT }]), [true]);
    await store.close();
  });
});

test('certificates and public keys, PEM and DER, are one key each; the keyring verifies what evmctl signed', async () => {
  const der = parseImaKeys(cert.raw, 'cert.der');
  const pub = parseImaKeys(Buffer.from(cert.publicKey.export({ type: 'spki', format: 'pem' }) as string), 'pub.pem');
  const spki = parseImaKeys(cert.publicKey.export({ type: 'spki', format: 'der' }), 'pub.der');
  const pem = parseImaKeys(readFileSync(CERT), CERT);
  assert.deepEqual(
    [pem, der, pub, spki].map((k) => [k.length, k[0].keyId, Boolean(k[0].certificate)]),
    [
      [1, '13f4d53d', true],
      [1, '13f4d53d', true],
      [1, '13f4d53d', false],
      [1, '13f4d53d', false],
    ],
  );
  const store = await PolicyStore.open(':memory:');
  const keys = new ImaKeyStore(store, () => 1_800_000_000);
  assert.deepEqual(
    await keys.add([pem, der, pub].map((k) => ({ key: k[0], source: 'x' }))),
    [true, false, false],
    'the same public key is stored once',
  );
  const [row] = await keys.list();
  assert.deepEqual(row, {
    keyId: '13f4d53d',
    type: 'rsa',
    subject: cert.subject,
    notAfter: cert.validTo,
    source: 'x',
    added: 1_800_000_000,
  });
  const sig = readFileSync(join(SIG, 'signed.txt.sig'));
  const digest = createHash('sha256')
    .update(readFileSync(join(SIG, 'signed.txt')))
    .digest();
  assert.equal(checkImaSignature(sig, 'sha256', digest, await keys.keyring()).verdict, 'ok');
  await store.close();
});

test('what is not a key is refused with the file and block named; a private key is not a signing key here', () => {
  assert.throws(
    () => parseImaKeys(Buffer.from('hello'), 'notes.txt'),
    /notes\.txt: neither PEM nor a DER certificate or public key/,
  );
  const pem = `${readFileSync(CERT, 'utf8')}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`;
  assert.throws(
    () => parseImaKeys(Buffer.from(pem), 'mixed.pem'),
    /mixed\.pem: PEM block 2 \(PRIVATE KEY\): not a certificate or public key/,
  );
  assert.throws(
    () => parseImaKeys(Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'cut.pem'),
    /cut\.pem: PEM block 1 \(CERTIFICATE\): /,
  );
});

test('db import-ima-keys stores every key of its files or none; db list ima-keys shows them', async () => {
  await withDir((dir) => {
    const db = join(dir, 'p.db');
    writeFileSync(join(dir, 'cert.der'), cert.raw);
    writeFileSync(join(dir, 'junk'), 'junk');
    const refused = agent('db', 'import-ima-keys', CERT, join(dir, 'junk'), '--db', db);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /junk: neither PEM nor a DER certificate or public key/);
    const ok = agent('db', 'import-ima-keys', CERT, join(dir, 'cert.der'), join(SIG, 'other-signing.pem'), '--db', db);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(
      ok.stdout
        .trim()
        .split('\n')
        .map((l) => / (imported|already stored)$/.exec(l)?.[1]),
      ['imported', 'already stored', 'imported'],
    );
    const list = agent('db', 'list', 'ima-keys', '--db', db, '--json');
    assert.equal(list.status, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { keyId: string; source: string }[];
    assert.deepEqual(
      rows.map((r) => [r.keyId, r.source]),
      [
        ['13f4d53d', CERT],
        ['ccfd2a58', join(SIG, 'other-signing.pem')],
      ],
    );
  });
});
