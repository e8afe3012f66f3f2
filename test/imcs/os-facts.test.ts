import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectInstalledPackages, collectOsFacts, type OsFactPaths } from '../../src/imcs/os/facts';
import { hardwareIdentity } from '../../src/imcs/os/host-identity';
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
  const keys: (keyof OsFactPaths)[] = [
    'osRelease',
    'ipv4Forward',
    'ipv6Forward',
    'procStat',
    'machineId',
    'dpkgStatus',
  ];
  const paths = Object.fromEntries(keys.map((k) => [k, join(dir, k)])) as unknown as OsFactPaths;
  for (const k of keys) if (files[k] !== undefined) writeFileSync(paths[k], files[k]!);
  return { paths, done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function collect(files: Tree) {
  const t = fixtureTree(files);
  try {
    return await collectOsFacts({ paths: t.paths, machine: 'x86_64' });
  } finally {
    t.done();
  }
}

test('Debian 12: product, vendor, versions and boot time as strongSwan 5.9.14 sends them', async () => {
  const f = await collect({
    osRelease: DEBIAN_12,
    procStat: PROC_STAT,
    ipv4Forward: '0\n',
    ipv6Forward: '0\n',
    machineId: MACHINE_ID,
  });
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

test("without a btime line, the boot time is systeminformation's (this machine's /proc/stat btime, give or take a second) and a problem", async () => {
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
  for (const files of [{ procStat: 'cpu 1 2 3\n' }, {}]) {
    const f = await collect({ osRelease: DEBIAN_12, ...files });
    assert.ok(
      Math.abs(Date.parse(f.lastBoot) / 1000 - btime) <= 1,
      `${f.lastBoot} vs btime ${new Date(btime * 1000).toISOString()}`,
    );
    assert.equal(f.lastBoot.length, 20);
    assert.equal(f.problems.filter((p) => p.path.endsWith('procStat')).length, 1, JSON.stringify(files));
  }
});

/** The installed packages of a dpkg status file holding `status` (none: no file). */
async function packagesOf(status?: string) {
  const t = fixtureTree({ dpkgStatus: status });
  try {
    return await collectInstalledPackages(t.paths.dpkgStatus);
  } finally {
    t.done();
  }
}

test('installed packages from the real dpkg status fixture (781 installed)', async () => {
  const { packages, problems } = await packagesOf(readFileSync(DPKG_FIXTURE, 'utf8'));
  assert.equal(packages.length, 781);
  assert.deepEqual(packages[0], { name: 'adduser', version: '3.134', architecture: 'all' });
  assert.ok(packages.some((p) => p.name === 'libc6' && p.version === '2.36-9+deb12u14' && p.architecture === 'amd64'));
  assert.deepEqual(problems, []);
});

test('dpkg: only "install ok installed" counts; incomplete stanzas are reported, not fatal', async () => {
  const status = [
    'Package: kept\nStatus: install ok installed\nVersion: 1.0\nDescription: x\n continuation: not a field\n',
    'Package: removed\nStatus: deinstall ok config-files\nVersion: 2.0\n',
    'Package: broken\nStatus: install ok installed\n',
    'Package: last\nStatus: install ok installed\nVersion: 3:4.5-6',
  ].join('\n');
  const { packages, problems } = await packagesOf(status);
  assert.deepEqual(
    packages.map((p) => `${p.name} ${p.version}`),
    ['kept 1.0', 'last 3:4.5-6'],
  );
  assert.ok(problems.some((p) => p.kind === 'malformed' && /1 installed stanzas/.test(p.detail)));
});

test('dpkg: an unreadable status file gives no packages and a problem naming it', async () => {
  const { packages, problems } = await packagesOf(undefined);
  assert.deepEqual(packages, []);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].kind, 'unreadable');
  assert.ok(problems[0].path.endsWith('dpkgStatus'), problems[0].message);
});

test('the OS facts of a handshake do not read the dpkg status file (it is read when asked for)', async () => {
  const f = await collect({ osRelease: DEBIAN_12, dpkgStatus: 'Package: broken\nStatus: install ok installed\n' });
  assert.ok(!f.problems.some((p) => p.path.endsWith('dpkgStatus')), JSON.stringify(f.problems));
});

test("machine-id unreadable or not hex: a problem, and the device ID is the system UUID's SHA-1, or none without one", async () => {
  // this machine's real SMBIOS system UUID (null in a container or without root)
  const uuid = (await hardwareIdentity()).systemUuid;
  const expected = uuid === null ? null : createHash('sha1').update(uuid).digest('hex');
  const missing = await collect({ osRelease: DEBIAN_12 });
  assert.equal(missing.deviceId, expected);
  assert.ok(missing.problems.some((p) => p.kind === 'unreadable' && p.path.endsWith('machineId')));
  const bad = await collect({ osRelease: DEBIAN_12, machineId: 'not-an-id\n' });
  assert.equal(bad.deviceId, expected);
  assert.ok(bad.problems.some((p) => p.kind === 'malformed' && p.path.endsWith('machineId')));
});

test("os-release missing, a directory, or without NAME: the name from systeminformation (this host's release files) and a problem naming the file", async () => {
  const host = parseRelease(readFileSync('/etc/os-release', 'utf8'));
  const check = (f: Awaited<ReturnType<typeof collect>>, kind: OsFactsError['kind']) => {
    assert.equal(f.osName, host.NAME);
    assert.ok(f.version.startsWith(host.VERSION_ID ?? ''), `${f.version} vs VERSION_ID ${host.VERSION_ID}`);
    assert.ok(
      f.problems.some((p) => p.kind === kind && p.path.endsWith('osRelease')),
      JSON.stringify(f.problems),
    );
  };
  check(await collect({}), 'unreadable');
  check(await collect({ osRelease: 'ID=debian\n' }), 'malformed');
  const t = fixtureTree({});
  mkdirSync(t.paths.osRelease);
  try {
    check(await collectOsFacts({ paths: t.paths, machine: 'x86_64' }), 'unreadable');
  } finally {
    t.done();
  }
  // (with no release file anywhere the OS cannot be named and collectOsFacts throws the os-release
  // OsFactsError: not reproducible on a host that has one)
});

/** Plain KEY=value lines of an os-release file, quotes removed (the host's own, for comparison). */
function parseRelease(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^([A-Z_]+)=("?)(.*)\2$/gm)].map((m) => [m[1], m[3]]));
}

test('os-release quoting: escapes in double quotes, comments ignored', async () => {
  const f = await collect({ osRelease: '# comment\nNAME="My \\"Quoted\\" OS"\nVERSION_ID=3.14\n' });
  assert.equal(f.osName, 'My "Quoted" OS');
  assert.deepEqual(f.numericVersion, { major: 3, minor: 14 });
});
