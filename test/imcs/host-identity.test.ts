import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  describeHardware,
  describeMachineAddress,
  fallbackBootTime,
  fallbackOs,
  hardwareIdentity,
  networkIdentity,
} from '../../src/imcs/os/host-identity';

// The answers checked against this machine's own sources (/etc/os-release, `ip -j addr` /
// `ip -j route`, /proc/stat btime, /sys/class/dmi/id), and the hardware read from made-up roots
// shaped as the kernel exports DMI and device trees.

interface IpAddr {
  ifname: string;
  addr_info: { family: 'inet' | 'inet6'; local: string; scope: string }[];
}

function ip(...args: string[]): unknown {
  return JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8' }) || '[]');
}

function readable(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

test('the OS name and release agree with /etc/os-release', async () => {
  const rel = Object.fromEntries(
    [...readFileSync('/etc/os-release', 'utf8').matchAll(/^([A-Z_]+)="?([^"\n]*)"?$/gm)].map((m) => [m[1], m[2]]),
  );
  const os = await fallbackOs();
  assert.ok(os, 'systeminformation finds the release files');
  // it prefers lsb-release's DISTRIB_ID where there is one (Ubuntu), else NAME
  const lsb = /^DISTRIB_ID="?([^"\n]*)"?$/m.exec(readable('/etc/lsb-release') ?? '')?.[1];
  assert.equal(os.name, lsb ?? rel.NAME);
  assert.ok(os.release.startsWith(rel.VERSION_ID), `release '${os.release}' vs VERSION_ID '${rel.VERSION_ID}'`);
});

test('the boot time is /proc/stat btime, give or take a second', () => {
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
  assert.ok(Math.abs(fallbackBootTime() - btime) <= 1, `${fallbackBootTime()} vs ${btime}`);
});

test("interface addresses are those `ip -j addr` lists; the machine address is on the default route's interface", async () => {
  const net = await networkIdentity();
  const links = ip('addr') as IpAddr[];
  const on = (iface: string, family: 'inet' | 'inet6') =>
    links
      .find((l) => l.ifname === iface)
      ?.addr_info.filter((a) => a.family === family)
      .map((a) => a.local) ?? [];
  for (const a of net.addresses)
    assert.ok(
      on(a.iface, a.family === 'IPv4' ? 'inet' : 'inet6').includes(a.address),
      `${a.address} is not on ${a.iface}: ${JSON.stringify(links)}`,
    );
  // every interface with a global IPv4 address is there, loopback is not
  const withV4 = links
    .filter((l) => l.addr_info.some((a) => a.family === 'inet' && a.scope === 'global'))
    .map((l) => l.ifname)
    .sort();
  assert.deepEqual([...new Set(net.addresses.filter((a) => a.family === 'IPv4').map((a) => a.iface))].sort(), withV4);
  assert.ok(!net.addresses.some((a) => a.iface === 'lo'));
  const defaultDev = (ip('route', 'show', 'default') as { dev: string }[])[0]?.dev;
  if (defaultDev && on(defaultDev, 'inet').length > 0) {
    assert.equal(net.machineAddress?.iface, defaultDev);
    assert.equal(net.machineAddress?.defaultRoute, true);
    assert.ok(on(defaultDev, 'inet').includes(net.machineAddress!.address));
    assert.match(
      describeMachineAddress(net),
      new RegExp(
        `^'${net.machineAddress!.address.replace(/\./g, '\\.')}' of type IPv4 address on ${defaultDev} \\(default route\\)$`,
      ),
    );
  } else {
    console.log(
      `# this machine has no default route with an IPv4 address: machine address ${describeMachineAddress(net)}`,
    );
    assert.equal(net.machineAddress, net.addresses.find((a) => a.family === 'IPv4') ?? null);
  }
});

test('hardware identity agrees with /sys/class/dmi/id, and says unknown where DMI has nothing', async () => {
  const hw = await hardwareIdentity();
  const uuid = readable('/sys/class/dmi/id/product_uuid');
  if (uuid && !/^[0-]+$/.test(uuid)) assert.equal(hw.systemUuid, uuid.toLowerCase());
  else assert.equal(hw.systemUuid, null, 'no readable DMI system UUID here: the field is null, not a placeholder');
  const vendor = readable('/sys/class/dmi/id/sys_vendor');
  if (vendor) assert.equal(hw.manufacturer, vendor);
  else assert.equal(hw.manufacturer, null);
  for (const v of Object.values(hw))
    assert.ok(v === null || (typeof v === 'string' && v !== '' && v !== '-'), JSON.stringify(hw));
  assert.match(describeHardware(hw), /system UUID (unknown|[0-9a-f-]{36})/);
});

test('descriptions: unknown parts are named as unknown, not left blank', () => {
  const none = { manufacturer: null, model: null, serial: null, systemUuid: null, virtualHost: null };
  assert.equal(describeHardware(none), 'unknown hardware (no DMI data), system UUID unknown');
  assert.equal(
    describeHardware({
      manufacturer: 'QEMU',
      model: 'Standard PC (Q35 + ICH9, 2009)',
      serial: null,
      systemUuid: '5d3a0c1e-0000-4000-8000-000000000001',
      virtualHost: 'KVM',
    }),
    'QEMU Standard PC (Q35 + ICH9, 2009), system UUID 5d3a0c1e-0000-4000-8000-000000000001, virtual (KVM)',
  );
  assert.equal(
    describeMachineAddress({ addresses: [], machineAddress: null }),
    'unknown: no IPv4 address on an interface other than loopback',
  );
});

/** A root holding `files` (path → content), for hardwareIdentity(root). */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tnc-hw-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

async function hardwareOf(files: Record<string, string>) {
  const root = fakeRoot(files);
  try {
    return await hardwareIdentity(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const DMI = 'sys/class/dmi/id/';

test('a QEMU guest: DMI names maker, model and UUID, the vendor string the hypervisor', async () => {
  const hw = await hardwareOf({
    [`${DMI}sys_vendor`]: 'QEMU\n',
    [`${DMI}product_name`]: 'Standard PC (Q35 + ICH9, 2009)\n',
    [`${DMI}product_uuid`]: '5D3A0C1E-0000-4000-8000-000000000001\n',
    [`${DMI}bios_vendor`]: 'EFI Development Kit II / OVMF\n',
  });
  assert.deepEqual(hw, {
    manufacturer: 'QEMU',
    model: 'Standard PC (Q35 + ICH9, 2009)',
    serial: null,
    systemUuid: '5d3a0c1e-0000-4000-8000-000000000001',
    virtualHost: 'QEMU',
  });
});

test('bare metal: placeholders and an unset UUID are unknown, no hypervisor', async () => {
  const hw = await hardwareOf({
    [`${DMI}sys_vendor`]: 'Dell Inc.\n',
    [`${DMI}product_name`]: 'To be filled by O.E.M.\n',
    [`${DMI}product_serial`]: 'Not Specified\n',
    [`${DMI}product_uuid`]: 'ffffffff-ffff-ffff-ffff-ffffffffffff\n',
    [`${DMI}board_vendor`]: 'Dell Inc.\n',
  });
  assert.deepEqual(hw, { manufacturer: 'Dell Inc.', model: null, serial: null, systemUuid: null, virtualHost: null });
});

test('other hypervisors are named by whichever DMI field carries their vendor string', async () => {
  const cases: [Record<string, string>, string][] = [
    [{ [`${DMI}sys_vendor`]: 'innotek GmbH\n', [`${DMI}product_name`]: 'VirtualBox\n' }, 'VirtualBox'],
    [{ [`${DMI}sys_vendor`]: 'VMware, Inc.\n' }, 'VMware'],
    [
      { [`${DMI}sys_vendor`]: 'Microsoft Corporation\n', [`${DMI}bios_version`]: 'Hyper-V UEFI Release v4.1\n' },
      'Hyper-V',
    ],
    [{ [`${DMI}sys_vendor`]: 'Amazon EC2\n' }, 'Amazon EC2'],
    [{ [`${DMI}sys_vendor`]: 'Xen\n', [`${DMI}product_name`]: 'HVM domU\n' }, 'Xen'],
  ];
  for (const [files, want] of cases) assert.equal((await hardwareOf(files)).virtualHost, want, JSON.stringify(files));
});

test('an ARM board: the device tree names model and serial (NUL-terminated strings)', async () => {
  const hw = await hardwareOf({
    'proc/device-tree/model': 'Raspberry Pi 4 Model B Rev 1.4\0',
    'proc/device-tree/serial-number': '10000000abcdef01\0',
  });
  assert.deepEqual(hw, {
    manufacturer: null,
    model: 'Raspberry Pi 4 Model B Rev 1.4',
    serial: '10000000abcdef01',
    systemUuid: null,
    virtualHost: null,
  });
});

test('a container without DMI is named by its marker file; an empty root knows nothing', async () => {
  assert.equal((await hardwareOf({ '.dockerenv': '' })).virtualHost, 'Docker');
  assert.equal((await hardwareOf({ 'run/.containerenv': 'engine="podman-4.3.1"\n' })).virtualHost, 'Podman');
  assert.deepEqual(await hardwareOf({}), {
    manufacturer: null,
    model: null,
    serial: null,
    systemUuid: null,
    virtualHost: null,
  });
});
