import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `tnc-agent decode` run as a real process on the golden vectors and on damaged copies of them.
const ROOT = join(__dirname, '..', '..');
const VECTORS = join(ROOT, 'test', 'data', 'vectors');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'tnc-agent.js'), 'decode', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs decode on a copy of `bytes` written to a temporary file. */
function runOn(bytes: Buffer, ...args: string[]): ReturnType<typeof run> {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-decode-'));
  try {
    writeFileSync(join(dir, 'in.bin'), bytes);
    return run(join(dir, 'in.bin'), ...args);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test('a PB-TNC batch prints batch, messages and attributes with names and numbers', () => {
  const r = run(join(VECTORS, '01-client_to_server-CDATA.bin'));
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'PB-TNC CDATA batch (318 bytes)');
  assert.ok(lines.includes("  PB-TNC message 'IETF/PB-PA' 0x000000/0x00000001 (227 bytes) NOSKIP"));
  assert.ok(lines.includes("    PB-PA message type 'IETF/Operating System' 0x000000/0x00000001"));
  assert.ok(lines.includes('    PA-TNC message with ID 0xb9c12828 (203 bytes)'));
  assert.ok(
    lines.some((l) =>
      l.startsWith("      PA-TNC attribute type 'IETF/Product Information' 0x000000/0x00000002 (23 bytes)"),
    ),
  );
});

test('a PT-TLS message is guessed and its batch nested inside', () => {
  const r = run(join(VECTORS, 'pt-tls', '04-c2s-PB-TNC_Batch.bin'));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n').slice(0, 2), [
    "PT-TLS message #1 of type 'PB-TNC Batch' (334 bytes)",
    '  PB-TNC CDATA batch (318 bytes)',
  ]);
});

test('--json gives the decoded tree', () => {
  const r = run(join(VECTORS, '10-server_to_client-RESULT.bin'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const tree = JSON.parse(r.stdout) as {
    type: string;
    fromServer: boolean;
    children: { type: number; value: unknown }[];
  };
  assert.deepEqual([tree.type, tree.fromServer], ['RESULT', true]);
  assert.deepEqual(
    tree.children.map((c) => [c.type, typeof c.value === 'number' ? c.value : 'object']),
    [
      [1, 'object'],
      [2, 0],
      [3, 1],
    ],
  );
});

test('a PA-TNC message taken out of a batch decodes with --as pa-tnc', () => {
  const batch = readFileSync(join(VECTORS, '10-server_to_client-RESULT.bin'));
  const r = runOn(batch.subarray(32, 56), '--as', 'pa-tnc');
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^PA-TNC message with ID 0x89d669a6 \(24 bytes\)\n {2}PA-TNC attribute type 'IETF\/Assessment Result'/,
  );
});

test('a wrong batch length exits 2 with one line naming it and its offset', () => {
  const bytes = Buffer.from(readFileSync(join(VECTORS, '01-client_to_server-CDATA.bin')));
  bytes.writeUInt32BE(319, 4);
  const r = runOn(bytes);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^tnc-agent decode: PB-TNC batch length: .* at offset 4\n$/);
});

test('an error inside a batch inside PT-TLS names the absolute offset in the file', () => {
  const bytes = Buffer.from(readFileSync(join(VECTORS, 'pt-tls', '04-c2s-PB-TNC_Batch.bin')));
  bytes[16 + 8] = 0x80; // NOSKIP on PB-Language-Preference, which must not have it
  const r = runOn(bytes);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /^tnc-agent decode: IETF\/PB-Language-Preference flags: NOSKIP flag must be clear at offset 24\n$/,
  );
});

test('a file no layer starts like exits 2', () => {
  const r = runOn(Buffer.from([7, 0, 0, 0]));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /first byte 0x07 at offset 0/);
});
