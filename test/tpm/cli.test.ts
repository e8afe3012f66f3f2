import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSwtpm } from '../helpers/swtpm';

const BIN = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');
const run = promisify(execFile);

test('tnc-agent tpm provision + quote --json on swtpm: the quote verifies', async () => {
  const sw = await startSwtpm();
  try {
    const prov = await run(process.execPath, [
      BIN,
      'tpm',
      'provision',
      '--tcti',
      sw.tcti,
      '--ak-handle',
      '81010005',
      '--json',
    ]);
    const ak = JSON.parse(prov.stdout) as { handle: string; keyId: string };
    assert.equal(ak.handle, '0x81010005');
    assert.match(ak.keyId, /^[0-9a-f]{40}$/);
    const q = await run(process.execPath, [
      BIN,
      'tpm',
      'quote',
      '--tcti',
      sw.tcti,
      '--ak-handle',
      '0x81010005',
      '--nonce',
      '00112233',
      '--pcrs',
      '0-7',
      '--json',
    ]);
    const out = JSON.parse(q.stdout) as { verified: boolean; nonce: string; attest: string };
    assert.equal(out.verified, true);
    assert.equal(out.nonce, '00112233');
    assert.ok(out.attest.startsWith('ff544347'));
  } finally {
    await sw.stop();
  }
});

test('tnc-agent tpm info names a missing TPM device and how to use a software TPM', async () => {
  await assert.rejects(
    run(process.execPath, [BIN, 'tpm', 'info', '--tcti', 'device:/dev/no-such-tpm']),
    (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /TPM device \/dev\/no-such-tpm not found.*swtpm:host=/);
      return true;
    },
  );
});
