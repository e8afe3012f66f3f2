import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  describeHardware,
  describeMachineAddress,
  fallbackBootTime,
  fallbackOs,
  hardwareIdentity,
  networkIdentity,
} from '../../src/imcs/os/host-identity';

// systeminformation's answers checked against this machine's own sources: /etc/os-release,
// `ip -j addr` / `ip -j route`, /proc/stat btime and /sys/class/dmi/id.

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
