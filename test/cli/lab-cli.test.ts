import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { listeningPort, serverModeArgs, spawnServer } from '../helpers/server-process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labPki } from '../helpers/pki';

// The two real processes a user runs: `tnc-agent --server-mode` and `tnc-agent attest`.
const bin = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');

test('tnc-agent attest against tnc-agent --server-mode ends in allow (exit 0)', async () => {
  const pki = await labPki();
  const dir = mkdtempSync(join(tmpdir(), 'tnc-cli-'));
  const server = spawnServer(bin, serverModeArgs(join(dir, 'p.db'), pki));
  try {
    const port = await listeningPort(server);
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'attest',
        '--server',
        `127.0.0.1:${port}`,
        '--cert',
        pki.files.clientCert,
        '--key',
        pki.files.clientKey,
        '--ca',
        pki.files.caCert,
        '--device-id',
        'cli-test-device',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /final recommendation is 'allow'/);
    const down = spawnSync(
      process.execPath,
      [bin, 'attest', '--server', '127.0.0.1:1', '--ca', pki.files.caCert, '--device-id', 'x'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(down.status, 1, 'a server that is gone is an error (exit 1)');
    assert.match(down.stderr, /attestation failed: .*ECONNREFUSED/);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--server-mode --ima-keys takes IMA signing certificates and refuses a file holding a private key', async () => {
  const pki = await labPki();
  const dir = mkdtempSync(join(tmpdir(), 'tnc-cli-keys-'));
  const args = (keys: string) => [bin, ...serverModeArgs(join(dir, 'p.db'), pki, '--ima-keys', keys)];
  try {
    const bad = spawnSync(process.execPath, args(pki.files.serverKey), { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--ima-keys .*: PEM block 1 \(.*PRIVATE KEY\): not a certificate or public key/);
    const server = spawn(
      process.execPath,
      args(join(__dirname, '..', 'data', 'fixtures', 'ima', 'sig', 'ima-signing.pem')),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      assert.ok((await listeningPort(server)) > 0);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
