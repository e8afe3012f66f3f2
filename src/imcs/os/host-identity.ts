import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import si from 'systeminformation';

// The host facts systeminformation is the better source for (docs/architecture.md, "Where the OS
// facts come from"): hardware identity, network interfaces, and the fallbacks for the OS name and
// the boot time when the files our stricter parsers read are missing. The only importer of it.

/** The endpoint's hardware as SMBIOS/DMI (or the device tree) names it; null where the platform does not say. */
export interface HardwareIdentity {
  readonly manufacturer: string | null;
  readonly model: string | null;
  readonly serial: string | null;
  /** SMBIOS system UUID, lower case; null without DMI, for a placeholder, or unreadable (root only). */
  readonly systemUuid: string | null;
  /** The hypervisor or container the host runs in ('KVM', 'QEMU', 'Docker'), null on bare metal or unknown. */
  readonly virtualHost: string | null;
}

export interface InterfaceAddress {
  readonly iface: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  /** The interface of the default route. */
  readonly defaultRoute: boolean;
}

export interface NetworkIdentity {
  /** One IPv4 and one IPv6 address per interface that is not loopback (link-local only without another). */
  readonly addresses: readonly InterfaceAddress[];
  /**
   * The address a TNC server sees as the machine AR identity "of type IPv4 address" when no NAT is
   * in between (TCG IF-IMV 1.4 3.8.x AR Identities: the server takes it from the connection, not from
   * the endpoint): the default route's IPv4 address, else the first IPv4 address; null without one.
   */
  readonly machineAddress: InterfaceAddress | null;
}

/** The OS as systeminformation names it, from the release files it finds (/etc/*-release, /usr/lib/os-release). */
export interface FallbackOs {
  readonly name: string;
  readonly release: string;
}

// systeminformation's words for "not known"
const PLACEHOLDERS = new Set([
  '',
  '-',
  'unknown',
  'Computer',
  'Virtual machine',
  'To be filled by O.E.M.',
  'Default string',
  'System Product Name',
  'None',
]);
const known = (v: string | undefined): string | null =>
  v === undefined || PLACEHOLDERS.has(v.trim()) ? null : v.trim();

// SMBIOS 2.6+ 7.2.1: 16 bytes; all zeros = not present, all ones = present but not set
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
function systemUuid(v: string): string | null {
  const id = v.trim().toLowerCase();
  return UUID.test(id) && !/^[0-]+$/.test(id) && !/^[f-]+$/.test(id) ? id : null;
}

const NO_HARDWARE: HardwareIdentity = {
  manufacturer: null,
  model: null,
  serial: null,
  systemUuid: null,
  virtualHost: null,
};
let hardware: Promise<HardwareIdentity> | undefined;

/** si.system(): DMI (dmidecode, /sys/class/dmi/id), the device tree, and its virtualisation checks. Once per process. */
export function hardwareIdentity(): Promise<HardwareIdentity> {
  return (hardware ??= si.system().then(
    (s) => ({
      manufacturer: known(s.manufacturer),
      model: known(s.model),
      serial: known(s.serial),
      systemUuid: systemUuid(s.uuid),
      virtualHost: known(s.virtualHost) ?? (s.model === 'Docker Container' ? 'Docker' : null),
    }),
    () => NO_HARDWARE,
  ));
}

/**
 * Starts reading the hardware and the interfaces now. systeminformation runs its hardware commands
 * synchronously (hundreds of milliseconds, more on a busy host): done before connecting, that
 * time does not count against the server's idle timer during the handshake.
 */
export function prefetchHostIdentity(): void {
  void hardwareIdentity();
  void networkIdentity();
}

/**
 * The interfaces' addresses from Node's os.networkInterfaces() and the default route's interface
 * from /proc/net/route (IPv4), else /proc/net/ipv6_route: no command is run (systeminformation's
 * networkInterfaces() ran about a hundred, seconds of a handshake on a busy host).
 */
export async function networkIdentity(procRoot = '/proc'): Promise<NetworkIdentity> {
  const defaultIface = (await defaultRouteInterface(procRoot).catch(() => null)) ?? null;
  const addresses: InterfaceAddress[] = [];
  for (const [iface, list] of Object.entries(networkInterfaces())) {
    const external = (list ?? []).filter((a) => !a.internal);
    const v4 = external.find((a) => a.family === 'IPv4');
    // link-local only when the interface has no other IPv6 address (fe80::/10)
    const v6s = external.filter((a) => a.family === 'IPv6');
    const v6 = v6s.find((a) => !/^fe[89ab]/i.test(a.address)) ?? v6s[0];
    const defaultRoute = iface === defaultIface;
    if (v4) addresses.push({ iface, family: 'IPv4', address: v4.address, defaultRoute });
    if (v6) addresses.push({ iface, family: 'IPv6', address: v6.address, defaultRoute });
  }
  const v4 = addresses.filter((a) => a.family === 'IPv4');
  return { addresses, machineAddress: v4.find((a) => a.defaultRoute) ?? v4[0] ?? null };
}

/** The interface of the default route with the lowest metric: IPv4 first (proc(5) /proc/net/route), then IPv6. */
async function defaultRouteInterface(procRoot: string): Promise<string | null> {
  const best = (routes: { iface: string; metric: number }[]) =>
    routes.sort((a, b) => a.metric - b.metric)[0]?.iface ?? null;
  // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; RTF_UP = 0x1; hex fields
  const v4 = (await readFile(join(procRoot, 'net', 'route'), 'utf8').catch(() => ''))
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[1] === '00000000' && f[7] === '00000000' && (parseInt(f[3], 16) & 1) === 1)
    .map((f) => ({ iface: f[0], metric: Number(f[6]) }));
  if (v4.length > 0) return best(v4);
  // dest prefixlen src prefixlen next-hop metric refcnt use flags iface (hex); ::/0 on lo is an unreachable route
  const v6 = (await readFile(join(procRoot, 'net', 'ipv6_route'), 'utf8').catch(() => ''))
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 10 && /^0{32}$/.test(f[0]) && f[1] === '00' && f[9] !== 'lo')
    .map((f) => ({ iface: f[9], metric: parseInt(f[5], 16) }));
  return best(v6);
}

/** si.osInfo(): distribution name and release, or null when it finds no release file either. */
export async function fallbackOs(): Promise<FallbackOs | null> {
  const o = await si.osInfo();
  const name = known(o.distro);
  return name ? { name, release: known(o.release) ?? '' } : null;
}

/** si.time(): boot time in Unix seconds, now less the uptime (the kernel's boot clock). */
export function fallbackBootTime(): number {
  const t = si.time();
  return Math.floor((t.current - t.uptime * 1000) / 1000);
}

/** "QEMU Standard PC (Q35 + ICH9, 2009), serial -, system UUID 5d3a…, virtual (KVM)"; unknown parts left out. */
export function describeHardware(h: HardwareIdentity): string {
  const name = [h.manufacturer, h.model].filter(Boolean).join(' ') || 'unknown hardware (no DMI data)';
  const parts = [
    name,
    h.serial && `serial ${h.serial}`,
    `system UUID ${h.systemUuid ?? 'unknown'}`,
    h.virtualHost && `virtual (${h.virtualHost})`,
  ];
  return parts.filter(Boolean).join(', ');
}

/** "'192.0.2.2' of type IPv4 address on eth0 (default route)", in the words of the server's AR identity line. */
export function describeMachineAddress(n: NetworkIdentity): string {
  const a = n.machineAddress;
  if (!a) return 'unknown: no IPv4 address on an interface other than loopback';
  return `'${a.address}' of type IPv4 address on ${a.iface}${a.defaultRoute ? ' (default route)' : ''}`;
}
