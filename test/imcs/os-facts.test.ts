import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectOsFacts, type OsFactPaths } from '../../src/imcs/os/facts';
import type { ForwardingStatus } from '../../src/protocol/pa-tnc/ietf/assessment';
import { OsFactsError } from '../../src/imcs/os/errors';

const DPKG_FIXTURE = join(__dirname, '../data/fixtures/dpkg/status');

const DEBIAN_12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`;
const UBUNTU_2004 = `NAME="Ubuntu"
VERSION="20.04.6 LTS (Focal Fossa)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 20.04.6 LTS"
VERSION_ID="20.04"
`;
const MACHINE_ID = '0123456789abcdef0123456789abcdef\n';
// /proc/stat btime of the strongSwan capture's client: last boot Nov 27 02:24:07 UTC 2026
const PROC_STAT = 'cpu  1 2 3 4\nintr 0\nctxt 99\nbtime 1795746247\nprocesses 12\n';

type Tree = Partial<Record<keyof OsFactPaths, string>>;

/** Writes the given files into a temp dir and returns paths for all keys (absent ones point nowhere). */
function fixtureTree(files: Tree): { paths: OsFactPaths; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'os-facts-'));
  const keys: (keyof OsFactPaths)[] = ['osRelease', 'ipv4Forward', 'ipv6Forward', 'procStat', 'uptime', 'machineId', 'dpkgStatus'];
  const paths = Object.fromEntries(keys.map((k) => [k, join(dir, k)])) as unknown as OsFactPaths;
  for (const k of keys) if (files[k] !== undefined) writeFileSync(paths[k], files[k]!);
  return { paths, done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function collect(files: Tree, now = new Date('2026-11-27T02:43:39Z')) {
  const t = fixtureTree(files);
  try {
    return await collectOsFacts({ paths: t.paths, machine: 'x86_64', now: () => now });
  } finally {
    t.done();
  }
}

test('Debian 12: product, vendor, versions and boot time as strongSwan 5.9.14 sends them', async () => {
  const f = await collect({ osRelease: DEBIAN_12, procStat: PROC_STAT, ipv4Forward: '0\n', ipv6Forward: '0\n', machineId: MACHINE_ID });
  assert.equal(f.osName, 'Debian GNU/Linux');
  assert.equal(f.productName, 'Debian');
  assert.equal(f.vendorId, 0x002572, 'vendor ID in the capture (client.log: 00 25 72 00 00 Debian)');
  assert.equal(f.productId, 0);
  assert.equal(f.version, '12 x86_64');
  assert.deepEqual(f.numericVersion, { major: 12, minor: 0 });
  assert.equal(f.lastBoot, '2026-11-27T02:24:07Z');
  assert.equal(f.lastBoot?.length, 20);
  assert.equal(f.operationalStatus, 'operational');
  assert.equal(f.forwarding, 'disabled');
  assert.equal(f.deviceId, createHash('sha1').update(MACHINE_ID.trim()).digest('hex'));
});

test('Ubuntu 20.04: Canonical vendor, "20.04 x86_64", numeric 20.4', async () => {
  const f = await collect({ osRelease: UBUNTU_2004 });
  assert.equal(f.productName, 'Ubuntu');
  assert.equal(f.vendorId, 28978);
  assert.equal(f.version, '20.04 x86_64');
  assert.deepEqual(f.numericVersion, { major: 20, minor: 4 });
});

test('an unknown distribution keeps its NAME and vendor 0', async () => {
  const f = await collect({ osRelease: "NAME='Arch Linux'\nBUILD_ID=rolling\n" });
  assert.equal(f.productName, 'Arch Linux');
  assert.equal(f.vendorId, 0);
  assert.equal(f.version, 'x86_64');
  assert.deepEqual(f.numericVersion, { major: 0, minor: 0 });
});

test('forwarding: on, off, IPv6 only, missing and garbage', async () => {
  const cases: [Tree, ForwardingStatus, ForwardingStatus][] = [
    [{ ipv4Forward: '1\n', ipv6Forward: '0\n' }, 'enabled', 'enabled'],
    [{ ipv4Forward: '0\n', ipv6Forward: '0\n' }, 'disabled', 'disabled'],
    [{ ipv4Forward: '0\n', ipv6Forward: '1\n' }, 'disabled', 'enabled'],
    [{ ipv4Forward: '0\n' }, 'disabled', 'disabled'],
    [{}, 'unknown', 'unknown'],
    [{ ipv4Forward: 'x\n', ipv6Forward: '0\n' }, 'unknown', 'unknown'],
  ];
  for (const [files, v4, combined] of cases) {
    const f = await collect({ osRelease: DEBIAN_12, ...files });
    assert.equal(f.ipv4Forwarding, v4, JSON.stringify(files));
    assert.equal(f.forwarding, combined, JSON.stringify(files));
  }
  const missing = await collect({ osRelease: DEBIAN_12 });
  assert.ok(missing.problems.some((p) => p.kind === 'unreadable' && p.path.endsWith('ipv4Forward')));
  const garbage = await collect({ osRelease: DEBIAN_12, ipv4Forward: 'x' });
  assert.ok(garbage.problems.some((p) => p.kind === 'malformed' && p.path.endsWith('ipv4Forward')));
});

test('boot time falls back to /proc/uptime and the clock, else is null with problems', async () => {
  const f = await collect({ osRelease: DEBIAN_12, uptime: '1172.55 2200.10\n' });
  assert.equal(f.lastBoot, '2026-11-27T02:24:07Z');
  assert.ok(!f.problems.some((p) => p.path.endsWith('procStat')), 'a successful fallback is not a problem');
  const none = await collect({ osRelease: DEBIAN_12, procStat: 'cpu 1 2 3\n' });
  assert.equal(none.lastBoot, null);
  assert.deepEqual(none.problems.filter((p) => /procStat|uptime/.test(p.path)).map((p) => p.kind).sort(), ['malformed', 'unreadable']);
});

test('installed packages from the real dpkg status fixture (781 installed)', async () => {
  const f = await collect({ osRelease: DEBIAN_12, dpkgStatus: readFileSync(DPKG_FIXTURE, 'utf8') });
  assert.equal(f.packages.length, 781);
  assert.deepEqual(f.packages[0], { name: 'adduser', version: '3.134', architecture: 'all' });
  assert.ok(f.packages.some((p) => p.name === 'libc6' && p.version === '2.36-9+deb12u14' && p.architecture === 'amd64'));
  assert.ok(!f.problems.some((p) => p.path.endsWith('dpkgStatus')));
});

test('dpkg: only "install ok installed" counts; incomplete stanzas are reported, not fatal', async () => {
  const status = [
    'Package: kept\nStatus: install ok installed\nVersion: 1.0\nDescription: x\n continuation: not a field\n',
    'Package: removed\nStatus: deinstall ok config-files\nVersion: 2.0\n',
    'Package: broken\nStatus: install ok installed\n',
    'Package: last\nStatus: install ok installed\nVersion: 3:4.5-6',
  ].join('\n');
  const f = await collect({ osRelease: DEBIAN_12, dpkgStatus: status });
  assert.deepEqual(f.packages.map((p) => `${p.name} ${p.version}`), ['kept 1.0', 'last 3:4.5-6']);
  assert.ok(f.problems.some((p) => p.kind === 'malformed' && /1 installed stanzas/.test(p.detail)));
});

test('machine-id: unreadable or not hex gives no device ID and a problem', async () => {
  assert.equal((await collect({ osRelease: DEBIAN_12 })).deviceId, null);
  const bad = await collect({ osRelease: DEBIAN_12, machineId: 'not-an-id\n' });
  assert.equal(bad.deviceId, null);
  assert.ok(bad.problems.some((p) => p.kind === 'malformed' && p.path.endsWith('machineId')));
});

test('os-release missing, a directory, or without NAME → OsFactsError naming the file', async () => {
  await assert.rejects(collect({}), (e: unknown) => e instanceof OsFactsError && e.kind === 'unreadable' && e.path.endsWith('osRelease'));
  await assert.rejects(collect({ osRelease: 'ID=debian\n' }), (e: unknown) => e instanceof OsFactsError && e.kind === 'malformed');
  const t = fixtureTree({});
  mkdirSync(t.paths.osRelease);
  try {
    await assert.rejects(collectOsFacts({ paths: t.paths }), OsFactsError);
  } finally {
    t.done();
  }
});

test('os-release quoting: escapes in double quotes, comments ignored', async () => {
  const f = await collect({ osRelease: '# comment\nNAME="My \\"Quoted\\" OS"\nVERSION_ID=3.14\n' });
  assert.equal(f.osName, 'My "Quoted" OS');
  assert.deepEqual(f.numericVersion, { major: 3, minor: 14 });
});
