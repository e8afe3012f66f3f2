import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePolicyConfig } from '../../src/cli/policy-db';
import { labPki } from '../helpers/pki';
import { serverModeArgs } from '../helpers/server-process';

const bin = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');

test('a server config file gives [policy] db and db-password-file; anything else names file:line', () => {
  const text = '# fleet\n[policy]\ndb = postgres://tnc@db.example.net/tnc\ndb-password-file = /etc/tnc-agent/db.pw\n';
  assert.deepEqual(parsePolicyConfig(text, 's.conf'), {
    db: 'postgres://tnc@db.example.net/tnc',
    dbPasswordFile: '/etc/tnc-agent/db.pw',
  });
  assert.throws(() => parsePolicyConfig('[server]\n', 's.conf'), /^Error: s\.conf:1: unknown section \[server\]/);
  assert.throws(() => parsePolicyConfig('db = x\n', 's.conf'), /s\.conf:1: 'db' is outside the \[policy\] section/);
  assert.throws(() => parsePolicyConfig('[policy]\npassword = x\n', 's.conf'), /s\.conf:2: unknown option 'password'/);
  assert.throws(() => parsePolicyConfig('[policy]\ndb\n', 's.conf'), /s\.conf:2: expected "key = value"/);
});

/** The policy database a `--server-mode` with `args` says it opened (its start-up line), then stopped. */
function openedDatabase(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /listening on 127\.0\.0\.1:\d+, policy database '([^']*)'/.exec(text);
      if (!m) return;
      child.kill('SIGTERM');
      resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`server exited ${c}: ${text}`)));
  });
}

test('--server-mode --config opens the [policy] database; --db on the command line wins', async () => {
  const pki = await labPki();
  const dir = mkdtempSync(join(tmpdir(), 'tnc-server-config-'));
  try {
    const config = join(dir, 'server.conf');
    writeFileSync(config, `[policy]\ndb = ${join(dir, 'from-config.db')}\n`);
    const withConfig = serverModeArgs(join(dir, 'unused.db'), pki, '--config', config).filter(
      (a, i, all) => a !== '--db' && all[i - 1] !== '--db',
    );
    assert.match(await openedDatabase(withConfig), /from-config\.db/);
    assert.ok(existsSync(join(dir, 'from-config.db')));
    const flagWins = serverModeArgs(join(dir, 'from-flag.db'), pki, '--config', config);
    assert.match(await openedDatabase(flagWins), /from-flag\.db/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
