import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImaBinary, encodeImaEntry } from '../../src/measurements/ima';
import { imaHint } from '../../src/cli/commands/ima';

// `tnc-agent ima` as a real process on hostile and odd input (issue: escape control bytes, cap
// endless streams, PCR > 23, a stray trailing byte, a log without the list's bank, missing files).
const ROOT = join(__dirname, '..', '..');
const GUEST = join(ROOT, 'test', 'data', 'fixtures', 'vm', 'ovmf');
const dir = mkdtempSync(join(tmpdir(), 'tnc-ima-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ima(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'tnc-agent.js'), 'ima', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, bytes: Buffer | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const list = readFileSync(join(GUEST, 'binary_runtime_measurements'));
const ascii = readFileSync(join(GUEST, 'ascii_runtime_measurements'), 'utf8');

test('control bytes from the input are escaped in errors and listings', () => {
  const bad = file('esc.txt', `10 ${'ab'.repeat(20)} \x1b]0;owned\x07ima-ng sha256:00 /x\n`);
  const r = ima('--file', bad, '--ascii');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown template '\\x1b\]0;owned\\x07ima-ng'/);
  assert.ok(
    ![0x00, 0x07, 0x1b, 0x7f].some((c) => r.stderr.includes(String.fromCharCode(c))),
    'no raw control byte on stderr',
  );
  // a file name with an ANSI sequence (what a hostile file name could be) is listed escaped
  const entries = decodeImaBinary(list);
  const e = entries[1];
  const name = Buffer.from('/tmp/\x1b[31mred\0', 'utf8');
  const digest = e.templateData.subarray(4, 4 + e.templateData.readUInt32LE(0));
  const data = Buffer.concat([
    e.templateData.subarray(0, 4 + digest.length),
    Buffer.from([name.length, 0, 0, 0]),
    name,
  ]);
  const withName = file(
    'name.bin',
    Buffer.concat([list.subarray(0, entries[1].offset), encodeImaEntry({ ...e, templateData: data })]),
  );
  const l = ima('--file', withName);
  assert.equal(l.status, 0, l.stderr);
  assert.match(l.stdout, /\/tmp\/\\x1b\[31mred/);
  assert.ok(!l.stdout.includes('\x1b'));
  assert.match(l.stdout, /1 do not match/, 'the edited entry keeps its old template hash');
});

test('control bytes in errors: a CSI sequence and a NUL (ascii), a binary entry whose template name has them', () => {
  const csi = ima('--file', file('csi.txt', `10 ${'ab'.repeat(20)} ima-ng\x1b[31m\0 sha256:00 /x\n`), '--ascii');
  assert.equal(csi.status, 2);
  assert.match(csi.stderr, /unknown template 'ima-ng\\x1b\[31m\\x00'/);
  const entries = decodeImaBinary(list);
  const named = encodeImaEntry({ ...entries[1], template: '\x1b[2Jx\0' });
  const b = ima('--file', file('template.bin', Buffer.concat([list.subarray(0, entries[1].offset), named])));
  assert.equal(b.status, 2);
  assert.match(b.stderr, /unknown template '\\x1b\[2Jx\\x00'/);
  for (const out of [csi.stderr, b.stderr])
    assert.ok(![0x00, 0x1b].some((c) => out.includes(String.fromCharCode(c))), 'no raw control byte on stderr');
});

test('endless streams are capped: /dev/zero as ascii hits the line limit, as binary stops at its first entry; --max-bytes stops a long read', () => {
  const z = ima('--file', '/dev/zero', '--ascii');
  assert.equal(z.status, 2);
  assert.match(z.stderr, /IMA ascii line: no end of line within \d+ bytes/);
  const zb = ima('--file', '/dev/zero');
  assert.equal(zb.status, 2);
  assert.match(zb.stderr, /\/dev\/zero: IMA template name: unknown template '' at offset 28/);
  const capped = ima('--file', join(GUEST, 'binary_runtime_measurements'), '--max-bytes', '1000');
  assert.equal(capped.status, 2);
  assert.match(capped.stderr, /stopped reading after 1000 bytes .*give --max-bytes to read more/);
});

test('PCR indexes above 23 are refused, binary and ascii', () => {
  const big = Buffer.from(list);
  big.writeUInt32LE(0xffffffff, decodeImaBinary(list)[2].offset);
  const b = ima('--file', file('pcr.bin', big));
  assert.equal(b.status, 2);
  assert.match(b.stderr, /IMA PCR index: PCR 4294967295 does not exist \(0-23\)/);
  const a = ima('--file', file('pcr.txt', ascii.replace(/^10 /m, '99 ')), '--ascii');
  assert.equal(a.status, 2);
  assert.match(a.stderr, /'99' is not a PCR number \(0-23\)/);
});

test('a stray trailing byte: the entries that parsed are reported with the offset of the tail', () => {
  const p = file('tail.bin', Buffer.concat([list, Buffer.from([0x0a])]));
  const r = ima('--file', p);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /139 entries/);
  assert.match(r.stdout, new RegExp(`warning: 1 bytes after the last complete entry, at offset ${list.length}`));
  const j = JSON.parse(ima('--file', p, '--json').stdout);
  assert.deepEqual(j.replay.tail, { offset: list.length, length: 1 });
  assert.equal(j.entries.length, 139);
});

test('--eventlog against a log without the list\'s bank says "cannot check", not MISMATCH', () => {
  const sha1Only = join(
    ROOT,
    'test',
    'data',
    'fixtures',
    'eventlogs',
    '9elements-tpmtool-binary_bios_measurements_tpm12_bios',
  );
  const r = ima('--file', join(GUEST, 'binary_runtime_measurements'), '--eventlog', sha1Only, '--summary');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /boot_aggregate against .*: cannot check: no sha256 PCR values/);
  assert.ok(!r.stdout.includes('MISMATCH'));
  const ok = ima(
    '--file',
    join(GUEST, 'binary_runtime_measurements'),
    '--eventlog',
    join(GUEST, 'binary_bios_measurements'),
    '--summary',
  );
  assert.match(ok.stdout, /: match: boot_aggregate matches sha256 over PCR0-9/);
});

test('a missing default list: IMA advice only where the IMA directory is missing too', () => {
  const on = join(dir, 'ima-on');
  rmSync(on, { recursive: true, force: true });
  mkdirSync(on);
  assert.match(
    imaHint(join(on, 'binary_runtime_measurements_sha384')),
    /^IMA is on \(.*ima-on exists\) but this kernel does not export this list$/,
  );
  assert.match(
    imaHint(join(dir, 'no-ima', 'binary_runtime_measurements')),
    /^is IMA enabled \(ima_policy= on the kernel command line\)/,
  );
});

test('a missing file is named as missing (no IMA advice for a --file path); --json prints a JSON error', () => {
  const r = ima('--file', join(dir, 'nope'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nope: no such file/);
  assert.ok(!r.stderr.includes('is IMA enabled'));
  const j = ima('--file', join(dir, 'nope'), '--json');
  assert.equal(j.status, 1);
  assert.deepEqual(JSON.parse(j.stdout), { error: `${join(dir, 'nope')}: no such file`, exitCode: 1 });
  const bad = ima('--file', file('garbage.bin', Buffer.from('\x01\x02')), '--json');
  assert.equal(bad.status, 0, 'two bytes are an unfinished tail, not an error');
  assert.deepEqual(JSON.parse(bad.stdout).replay.tail, { offset: 0, length: 2 });
});

test('--pcrs: the list prefix and the event log that trusted PCRs prove (verifyImaReplay, verifyEventLog)', () => {
  const r = ima(
    '--file',
    join(GUEST, 'binary_runtime_measurements'),
    '--bank',
    'sha256',
    '--pcrs',
    join(GUEST, 'pcrs.txt'),
    '--summary',
  );
  assert.equal(r.status, 0, r.stderr);
  // pcrs.txt was read before the lists were copied: PCR 10 proves a prefix
  assert.match(r.stdout, /verified against .*pcrs\.txt: the first 78 of 139 entries replay to its PCR 10 \(sha256\)/);
  const wrong = file('wrong-pcrs.txt', '  sha256:\n    10: 0x' + '11'.repeat(32) + '\n');
  assert.match(
    ima('--file', join(GUEST, 'binary_runtime_measurements'), '--bank', 'sha256', '--pcrs', wrong, '--summary').stdout,
    /NOT verified .*no prefix of the 139 entries/,
  );
  const e = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'tnc-agent.js'),
      'eventlog',
      '--file',
      join(GUEST, 'binary_bios_measurements'),
      '--pcrs',
      join(GUEST, 'pcrs.txt'),
    ],
    { encoding: 'utf8' },
  );
  assert.match(e.stdout, /verified: the log reproduces PCRs 0,1,2,3,4,5,6,7,9 in sha1, sha256/);
  const bad = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'tnc-agent.js'),
      'eventlog',
      '--file',
      join(GUEST, 'binary_bios_measurements'),
      '--pcrs',
      file('bad0.txt', '  sha256:\n    0: 0x' + '22'.repeat(32) + '\n'),
    ],
    { encoding: 'utf8' },
  );
  assert.match(bad.stdout, /NOT verified: 1 PCR value\(s\) differ\n {2}PCR 0 \(sha256\)/);
});
