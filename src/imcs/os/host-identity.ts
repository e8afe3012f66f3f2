import { access, readFile } from 'node:fs/promises';
import { networkInterfaces, uptime } from 'node:os';
import { join } from 'node:path';

// The host facts beyond the files our stricter parsers read (docs/architecture.md, "Where the OS
// facts come from"): hardware identity and network interfaces, read from /sys and /proc without
// running a command, and the fallbacks for the OS name and the boot time when those files are
// missing (systeminformation, loaded only then). The only importer of systeminformation.

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

// What firmware writes when it does not know (SMBIOS 3.x 7.2: strings a vendor leaves unset)
const PLACEHOLDERS = new Set([
  '',
  '-',
  'unknown',
  'Computer',
  'Virtual machine',
  'To be filled by O.E.M.',
  'Default string',
  'System Product Name',
  'System manufacturer',
  'Not Specified',
  'None',
]);
const known = (v: string | null | undefined): string | null =>
  v === null || v === undefined || PLACEHOLDERS.has(v.trim()) ? null : v.trim();

// SMBIOS 2.6+ 7.2.1: 16 bytes; all zeros = not present, all ones = present but not set
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
function systemUuid(v: string | null): string | null {
  const id = (v ?? '').trim().toLowerCase();
  return UUID.test(id) && !/^[0-]+$/.test(id) && !/^[f-]+$/.test(id) ? id : null;
}

// The vendor strings hypervisors put in SMBIOS type 0/1/2 (systemd-detect-virt's table, as facts):
// a DMI field that starts with the first names the second.
const DMI_HYPERVISORS: readonly (readonly [string, string])[] = [
  ['KVM', 'KVM'],
  ['OpenStack', 'KVM'],
  ['KubeVirt', 'KVM'],
  ['Amazon EC2', 'Amazon EC2'],
  ['QEMU', 'QEMU'],
  ['VMware', 'VMware'],
  ['VMW', 'VMware'],
  ['innotek GmbH', 'VirtualBox'],
  ['VirtualBox', 'VirtualBox'],
  ['Oracle Corporation', 'VirtualBox'],
  ['Xen', 'Xen'],
  ['Bochs', 'Bochs'],
  ['Parallels', 'Parallels'],
  ['BHYVE', 'bhyve'],
  ['Hyper-V', 'Hyper-V'],
  ['Apple Virtualization', 'Apple Virtualization'],
  ['Google Compute Engine', 'Google Compute Engine'],
];
// Containers leave a file at the root of their file system
const CONTAINER_MARKS: readonly (readonly [string, string])[] = [
  ['.dockerenv', 'Docker'],
  ['run/.containerenv', 'Podman'],
];

const text = (path: string): Promise<string | null> =>
  readFile(path, 'latin1').then(
    // sysfs values end with a newline, device-tree strings with NUL
    (t) => t.replace(/[\0\n]+$/, ''),
    () => null,
  );
const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

let hardware: Promise<HardwareIdentity> | undefined;

/**
 * The hardware from the kernel's DMI export (/sys/class/dmi/id: serial and UUID readable by root
 * only), else the device tree's model and serial (/proc/device-tree); the hypervisor from the DMI
 * vendor strings, a container from its marker file. No command is run. Once per process for the
 * host's root; `root` names another tree (a test's).
 */
export function hardwareIdentity(root = '/'): Promise<HardwareIdentity> {
  if (root !== '/') return readHardware(root);
  return (hardware ??= readHardware('/'));
}

async function readHardware(root: string): Promise<HardwareIdentity> {
  const dmi = (f: string) => text(join(root, 'sys/class/dmi/id', f));
  const dt = (f: string) => text(join(root, 'proc/device-tree', f));
  const [vendor, product, serial, uuid, boardVendor, biosVendor, biosVersion] = await Promise.all(
    [
      'sys_vendor',
      'product_name',
      'product_serial',
      'product_uuid',
      'board_vendor',
      'bios_vendor',
      // Hyper-V names itself only here ("Hyper-V UEFI Release v4.1"); its vendor is Microsoft's
      'bios_version',
    ].map(dmi),
  );
  const onDmi = vendor !== null || product !== null;
  const [dtModel, dtSerial] = onDmi ? [null, null] : await Promise.all([dt('model'), dt('serial-number')]);
  return {
    manufacturer: known(vendor),
    model: known(product) ?? known(dtModel),
    serial: known(serial) ?? known(dtSerial),
    systemUuid: systemUuid(uuid),
    virtualHost: hypervisorOf([product, vendor, boardVendor, biosVendor, biosVersion]) ?? (await containerOf(root)),
  };
}

function hypervisorOf(fields: readonly (string | null)[]): string | null {
  for (const f of fields) {
    const hit = f && DMI_HYPERVISORS.find(([prefix]) => f.startsWith(prefix));
    if (hit) return hit[1];
  }
  return null;
}

async function containerOf(root: string): Promise<string | null> {
  for (const [mark, name] of CONTAINER_MARKS) if (await exists(join(root, mark))) return name;
  return null;
}

/** Starts reading the hardware and the interfaces now, while the agent connects. */
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

/** systeminformation's osInfo(): distribution name and release, or null when it finds no release file either. */
export async function fallbackOs(): Promise<FallbackOs | null> {
  // loaded here only: the module is large and every other fact comes from files read directly
  const { default: si } = await import('systeminformation');
  const o = await si.osInfo();
  const name = known(o.distro);
  return name ? { name, release: known(o.release) ?? '' } : null;
}

/** Boot time in Unix seconds: now less the kernel's uptime (sysinfo(2), os.uptime()). */
export function fallbackBootTime(): number {
  return Math.floor(Date.now() / 1000 - uptime());
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
