import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyStore } from '../../src/policy/store';
import { AttestationStore } from '../../src/policy/attestation';
import { POSTGRES } from '../helpers/engines';

// `tnc-agent db` as a real process on a PostgreSQL database: the password from a file or
// PGPASSWORD, never from the URL; import-hashes streamed with its progress line.
const ROOT = join(__dirname, '..', '..');
const LIST = join(ROOT, 'test', 'data', 'vectors', 'evidence', 'ascii_runtime_measurements');
const PRODUCT = 'Debian 12 x86_64';

function db(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'tnc-agent.js'), 'db', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test(
  'db import-hashes, device trust and show on PostgreSQL; a password in the URL is refused without echoing it',
  { skip: POSTGRES.skip },
  async () => {
    const at = await POSTGRES.location();
    const file = ['--db', at.db, '--db-password-file', at.passwordFile!];
    const imported = db({}, 'import-hashes', ...file, '--product', PRODUCT, '--ima-list', LIST);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stderr, /\[CFG\] 4 reference hashes read, 4 new stored.*\n$/);
    assert.match(imported.stdout, /imported 4 new reference hashes \(4 read, 1 boot_aggregate entry skipped\)/);
    const again = db({}, 'import-hashes', ...file, '--product', PRODUCT, '--ima-list', LIST);
    assert.match(again.stdout, /imported 0 new reference hashes \(4 read/, 'entries already stored are skipped');
    const password = readFileSync(at.passwordFile!, 'utf8').trim();
    assert.equal(db({ PGPASSWORD: password }, 'device', 'trust', 'AB01', '--db', at.db).status, 0);
    const shown = db({ PGPASSWORD: password }, 'show', 'devices', '--json', '--db', at.db);
    assert.deepEqual(
      (JSON.parse(shown.stdout) as { value: string; trusted: boolean }[]).map((d) => [d.value, d.trusted]),
      [['ab01', true]],
    );
    const withPassword = at.db.replace('postgres://tnc@', `postgres://tnc:${password}@`);
    const refused = db({}, 'show', 'devices', '--db', withPassword);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /holds a password: give it in a file \(--db-password-file/);
    assert.ok(!refused.stderr.includes(password), 'the password is not printed');
    const wrong = db({ PGPASSWORD: 'wrong' }, 'show', 'devices', '--db', at.db);
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /password authentication failed/);
    const store = await PolicyStore.open(at.db, { passwordFile: at.passwordFile });
    const product = await store.getOrCreateProduct(PRODUCT);
    const refs = await new AttestationStore(store).referenceHashes(product, ['/usr/bin/ls', '/nope'], 0x4000);
    await store.close();
    assert.equal(refs.get('/usr/bin/ls')?.length, 1);
    assert.deepEqual(refs.get('/nope'), []);
  },
);
