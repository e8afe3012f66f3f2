import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HASH_ALG } from '../../src/protocol/pa-tnc/tcg/pts';
import { AttestationStore, referenceLookupSql } from '../../src/policy/attestation';
import { PolicyStore } from '../../src/policy/store';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Recommendation } from '../../src/tnccs/types';

// `tnc-agent db` as a real process on a real SQLite file.
const ROOT = join(__dirname, '..', '..');
const VECTORS = join(ROOT, 'test', 'data', 'vectors');
const dir = mkdtempSync(join(tmpdir(), 'tnc-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PRODUCT = 'Debian 12 x86_64';

function db(dbFile: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'tnc-agent.js'), 'db', ...args, '--db', dbFile], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function lookup(dbFile: string, path: string, algo: number = HASH_ALG.SHA256): Promise<string[]> {
  const store = await PolicyStore.open(dbFile);
  try {
    const refs = await new AttestationStore(store).referenceHashes(
      await store.getOrCreateProduct(PRODUCT),
      [path],
      algo,
    );
    return refs.get(path)!.map((h) => h.toString('hex'));
  } finally {
    await store.close();
  }
}

test('import-hashes --root hashes every regular file as if the tree were /, with a progress line', async () => {
  const file = join(dir, 'root.db');
  const root = join(dir, 'root');
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  writeFileSync(join(root, 'usr', 'bin', 'tool'), 'the tool\n');
  symlinkSync('usr/bin', join(root, 'bin'));
  const r = db(file, 'import-hashes', '--product', PRODUCT, '--root', root, '--algo', 'sha256,sha1');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\[CFG\] 2 reference hashes read, 2 new stored.*\n$/);
  assert.match(r.stdout, /imported 2 new reference hashes/);
  assert.deepEqual(await lookup(file, '/usr/bin/tool'), [createHash('sha256').update('the tool\n').digest('hex')]);
  assert.deepEqual(await lookup(file, '/usr/bin/tool', HASH_ALG.SHA1), [
    createHash('sha1').update('the tool\n').digest('hex'),
  ]);
  assert.deepEqual(await lookup(file, '/bin/tool'), [], 'symlinks are not followed');
});

test('import-hashes --ima-list takes the file digests of a binary or ascii list, boot_aggregate left out', async () => {
  const file = join(dir, 'ima.db');
  const expected = JSON.parse(readFileSync(join(VECTORS, 'evidence', 'ima_files.json'), 'utf8')) as {
    file: string;
    sha256: string;
  }[];
  const ascii = db(
    file,
    'import-hashes',
    '--product',
    PRODUCT,
    '--ima-list',
    join(VECTORS, 'evidence', 'ascii_runtime_measurements'),
  );
  assert.equal(ascii.status, 0, ascii.stderr);
  assert.match(ascii.stdout, /imported 4 new reference hashes \(4 read, 1 boot_aggregate entry skipped\)/);
  for (const f of expected) assert.deepEqual(await lookup(file, f.file), [f.sha256]);
  const binary = db(
    file,
    'import-hashes',
    '--product',
    PRODUCT,
    '--ima-list',
    join(VECTORS, 'evidence', 'binary_runtime_measurements'),
  );
  assert.match(
    binary.stdout,
    /imported 0 new reference hashes \(4 read, 1 boot_aggregate entry skipped\)/,
    'the same digests, already there',
  );
  const broken = join(dir, 'broken.bin');
  writeFileSync(broken, readFileSync(join(VECTORS, 'evidence', 'binary_runtime_measurements')).subarray(0, 100));
  const bad = db(file, 'import-hashes', '--product', PRODUCT, '--ima-list', broken);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /broken\.bin: .*offset/);
});

test('import-hashes --ima-list skips boot_aggregate by name: a list without it loses no file, one with it elsewhere skips it there', async () => {
  const file = join(dir, 'no-ba.db');
  const lines = readFileSync(join(VECTORS, 'evidence', 'ascii_runtime_measurements'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const filesOnly = join(dir, 'files-only');
  writeFileSync(filesOnly, lines.slice(1).join('\n') + '\n');
  const r = db(file, 'import-hashes', '--product', PRODUCT, '--ima-list', filesOnly);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /imported 4 new reference hashes \(4 read, 0 boot_aggregate entries skipped\)/);
  const first = lines[1].split(' ');
  assert.deepEqual(
    await lookup(file, first[4]),
    [first[3].slice('sha256:'.length)],
    'the first entry of a list without boot_aggregate is kept',
  );
  const moved = join(dir, 'ba-last');
  writeFileSync(moved, [...lines.slice(1), lines[0]].join('\n') + '\n');
  const again = db(join(dir, 'ba-last.db'), 'import-hashes', '--product', PRODUCT, '--ima-list', moved);
  assert.match(again.stdout, /imported 4 new reference hashes \(4 read, 1 boot_aggregate entry skipped\)/);
});

test('the IMA lookup and the component lookup are index searches, not table scans', async () => {
  const raw = new Database(join(dir, 'ima.db'), { readonly: true });
  const plan = (sql: string) =>
    (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
  const ima = plan(
    referenceLookupSql(2)
      .replace('?', "'/usr/bin'")
      .replace('?', "'ls'")
      .replace('?', "'/bin'")
      .replace('?', "'ls'")
      .replace('?', '1')
      .replace('?', '1'),
  );
  const comp = plan(
    'SELECT component, seq_no, pcr, hash FROM component_hashes WHERE device = 1 AND algo = 1 ORDER BY component, seq_no',
  );
  raw.close();
  for (const p of [ima, comp])
    assert.doesNotMatch(p, /SCAN (d|f|h|component_hashes|directories|files|file_hashes)\b/, p);
  // the names drive: each table is an index-only search on its whole key, never a walk of the product's range
  assert.match(ima, /^SCAN 2-ROW VALUES CLAUSE/, ima);
  for (const t of [
    'd USING COVERING INDEX \\S+ \\(path=\\?\\)',
    'f USING COVERING INDEX \\S+ \\(dir=\\? AND name=\\?\\)',
  ])
    assert.match(ima, new RegExp(`SEARCH ${t}`), ima);
  assert.match(ima, /SEARCH h USING COVERING INDEX file_hashes_lookup \(product=\? AND file=\? AND algo=\?\)/, ima);
});

test('device trust/untrust and show devices|sessions|results, as text and JSON', async () => {
  const file = join(dir, 'show.db');
  const id = 'AF61115643F343BB6D36373DB32C73A70DDB277B';
  assert.equal(db(file, 'device', 'trust', id).status, 0);
  let devices = JSON.parse(db(file, 'show', 'devices', '--json').stdout) as { value: string; trusted: boolean }[];
  assert.deepEqual(
    devices.map((d) => [d.value, d.trusted]),
    [[id.toLowerCase(), true]],
  );
  db(file, 'device', 'untrust', id);
  devices = JSON.parse(db(file, 'show', 'devices', '--json').stdout);
  assert.equal(devices[0].trusted, false);
  const store = await PolicyStore.open(file);
  await store.addEnforcement(WorkitemType.TPMRA, 'BI');
  const session = (await store.startSession(1, 'client', id.toLowerCase(), PRODUCT)).id;
  const [w] = await store.createWorkitems(session);
  await store.setWorkitemResult(w.id, Recommendation.NO_ACCESS, 'AIK public key is not trusted');
  await store.stopSession(session);
  await store.close();
  const results = JSON.parse(db(file, 'show', 'results', '--json').stdout) as {
    type: string;
    rec: string;
    result: string;
  }[];
  assert.deepEqual(
    results.map((r) => [r.type, r.rec, r.result]),
    [['TPMRA', 'no access', 'AIK public key is not trusted']],
  );
  const sessions = db(file, 'show', 'sessions');
  assert.match(sessions.stdout, new RegExp(`^${session}\\t.*\\t${id.toLowerCase()}\\t${PRODUCT}\\tno access$`, 'm'));
  assert.equal(db(file, 'show', 'everything').status, 2);
});
