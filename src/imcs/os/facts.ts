import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { machine } from 'node:os';
import { parseDpkgStatus, type InstalledPackage } from './dpkg-status';
import { OsFactsError } from './errors';
import {
  fallbackBootTime,
  fallbackOs,
  hardwareIdentity,
  networkIdentity,
  type HardwareIdentity,
  type NetworkIdentity,
} from './host-identity';
import { numericVersion, osIdentity, parseOsRelease } from './os-release';
import type { ForwardingStatus } from '../../protocol/pa-tnc/ietf/assessment';
import type { OperationalResultName, OperationalStatusName } from '../../protocol/pa-tnc/ietf/operational-status';

/** Every file the collector reads; tests point these into a fixture tree. */
export interface OsFactPaths {
  readonly osRelease: string;
  readonly ipv4Forward: string;
  readonly ipv6Forward: string;
  readonly procStat: string;
  readonly machineId: string;
  readonly dpkgStatus: string;
}

/** The /proc files the facts come from, under a proc mount point (tests use a tree of their own). */
export function procPaths(root: string): Pick<OsFactPaths, 'ipv4Forward' | 'ipv6Forward' | 'procStat'> {
  return {
    ipv4Forward: `${root}/sys/net/ipv4/ip_forward`,
    ipv6Forward: `${root}/sys/net/ipv6/conf/all/forwarding`,
    procStat: `${root}/stat`,
  };
}

export const DEFAULT_OS_FACT_PATHS: OsFactPaths = {
  osRelease: '/etc/os-release',
  ...procPaths('/proc'),
  machineId: '/etc/machine-id',
  dpkgStatus: '/var/lib/dpkg/status',
};

export interface OsFacts {
  /** os-release NAME, e.g. "Debian GNU/Linux". */
  readonly osName: string;
  /** RFC 5792 4.2.2 Product Information: strongSwan's name ("Debian", "Ubuntu"), vendor PEN, product ID 0. */
  readonly productName: string;
  readonly vendorId: number;
  readonly productId: number;
  /** RFC 5792 4.2.4 String Version as strongSwan forms it: VERSION_ID + machine, "20.04 x86_64". */
  readonly version: string;
  /** RFC 5792 4.2.3 Numeric Version major/minor from VERSION_ID. */
  readonly numericVersion: { readonly major: number; readonly minor: number };
  readonly operationalStatus: OperationalStatusName;
  readonly operationalResult: OperationalResultName;
  /** Last boot as RFC 3339 UTC, 20 characters ("2026-11-27T02:24:07Z"). */
  readonly lastBoot: string;
  /** IPv4 or IPv6 forwarding on → ENABLED; IPv4 off and IPv6 not on → DISABLED; else UNKNOWN. */
  readonly forwarding: ForwardingStatus;
  readonly ipv4Forwarding: ForwardingStatus;
  readonly ipv6Forwarding: ForwardingStatus;
  /** Fallback device ID: hex SHA-1 of the machine-id string, else of the SMBIOS system UUID; null without either. */
  readonly deviceId: string | null;
  /** Manufacturer, model, serial, system UUID (DMI or the device tree); logged by the OS IMC, not sent. */
  readonly hardware: HardwareIdentity;
  /** Interface addresses and the likely machine AR identity; logged by the OS IMC, not sent. */
  readonly network: NetworkIdentity;
  /** What could not be collected (the matching fact is UNKNOWN/null/empty). */
  readonly problems: readonly OsFactsError[];
}

export interface CollectOptions {
  readonly paths?: Partial<OsFactPaths>;
  /** Machine architecture as uname -m reports it; default os.machine(). */
  readonly machine?: string;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new OsFactsError('unreadable', path, (e as NodeJS.ErrnoException).code ?? String(e));
  }
}

/** Runs `fn` on the file's text; a failure becomes a problem and `fallback`. */
async function soft<T>(path: string, problems: OsFactsError[], fallback: T, fn: (text: string) => T): Promise<T> {
  try {
    return fn(await readText(path));
  } catch (e) {
    if (!(e instanceof OsFactsError)) throw e;
    problems.push(e);
    return fallback;
  }
}

// as strongSwan's os_info: the first character '0' or '1' decides, anything else is unknown
function parseForwarding(path: string, text: string): ForwardingStatus {
  if (text[0] === '0') return 'disabled';
  if (text[0] === '1') return 'enabled';
  throw new OsFactsError('malformed', path, `expected 0 or 1, got '${text.slice(0, 8).trim()}'`);
}

function combineForwarding(v4: ForwardingStatus, v6: ForwardingStatus): ForwardingStatus {
  if (v4 === 'enabled' || v6 === 'enabled') return 'enabled';
  return v4;
}

/** Boot time in Unix seconds: /proc/stat "btime" (proc(5)). */
function parseBtime(path: string, text: string): number {
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  if (!m) throw new OsFactsError('malformed', path, 'no btime line');
  return Number(m[1]);
}

// RFC 5792 4.2.5: Last Use is RFC 3339 with seconds and Z, exactly 20 octets
const rfc3339 = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().slice(0, 19) + 'Z';

/**
 * /proc/stat btime: the kernel's own boot timestamp, the same at every handshake. Without it,
 * systeminformation's clock less uptime (which may differ by a second between calls), and a problem.
 */
async function lastBoot(path: string, problems: OsFactsError[]): Promise<string> {
  const btime = await soft<number | null>(path, problems, null, (t) => parseBtime(path, t));
  return rfc3339(btime ?? fallbackBootTime());
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

function deviceIdOf(path: string, text: string): string {
  const id = text.trim();
  if (!/^[0-9a-f]{32}$/i.test(id)) throw new OsFactsError('malformed', path, 'not a 32-digit hex machine ID');
  return sha1(id);
}

/** machine-id (as strongSwan's OS IMC), else the SMBIOS system UUID, which outlives a reinstall but only root can read. */
async function deviceId(path: string, hardware: HardwareIdentity, problems: OsFactsError[]): Promise<string | null> {
  const fromMachineId = await soft<string | null>(path, problems, null, (t) => deviceIdOf(path, t));
  return fromMachineId ?? (hardware.systemUuid ? sha1(hardware.systemUuid) : null);
}

/** os-release(5) NAME and VERSION_ID. */
async function release(path: string): Promise<{ name: string; versionId: string }> {
  const fields = parseOsRelease(await readText(path));
  const name = fields.get('NAME');
  if (!name) throw new OsFactsError('malformed', path, 'no NAME');
  return { name, versionId: fields.get('VERSION_ID') ?? '' };
}

/**
 * The OS name and version from os-release; without a usable one, systeminformation's reading of
 * whatever release files there are (a problem, as its release is PRETTY_NAME's, "24.04.1 LTS", not
 * VERSION_ID); without either the OS cannot be named: OsFactsError.
 */
async function osNameAndVersion(path: string, problems: OsFactsError[]): Promise<{ name: string; versionId: string }> {
  try {
    return await release(path);
  } catch (e) {
    if (!(e instanceof OsFactsError)) throw e;
    const si = await fallbackOs();
    if (!si) throw e;
    problems.push(e);
    return { name: si.name, versionId: si.release };
  }
}

/**
 * What the OS IMC reports (RFC 5792 attributes), read from injectable paths.
 * Throws only OsFactsError, and only for os-release; every other failure is listed in `problems`.
 */
export async function collectOsFacts(opts: CollectOptions = {}): Promise<OsFacts> {
  const paths: OsFactPaths = { ...DEFAULT_OS_FACT_PATHS, ...opts.paths };
  const problems: OsFactsError[] = [];
  const { name: osName, versionId } = await osNameAndVersion(paths.osRelease, problems);
  const [hardware, network] = await Promise.all([hardwareIdentity(), networkIdentity()]);
  const ipv4 = await soft(paths.ipv4Forward, problems, 'unknown', (t) => parseForwarding(paths.ipv4Forward, t));
  const ipv6 = await soft(paths.ipv6Forward, problems, 'unknown', (t) => parseForwarding(paths.ipv6Forward, t));
  return {
    osName,
    ...osIdentity(osName),
    productId: 0,
    version: `${versionId} ${opts.machine ?? machine()}`.trim(),
    numericVersion: numericVersion(versionId),
    operationalStatus: 'operational',
    operationalResult: 'successful',
    lastBoot: await lastBoot(paths.procStat, problems),
    forwarding: combineForwarding(ipv4, ipv6),
    ipv4Forwarding: ipv4,
    ipv6Forwarding: ipv6,
    deviceId: await deviceId(paths.machineId, hardware, problems),
    hardware,
    network,
    problems,
  };
}

/**
 * The installed packages (RFC 5792 4.2.7) from dpkg's status file, read only when a verifier asks
 * for them (the list is long: parsing it is most of the OS facts' cost). An unreadable file gives
 * none and a problem; incomplete stanzas are skipped and counted as a problem.
 */
export async function collectInstalledPackages(
  dpkgStatus: string,
): Promise<{ packages: InstalledPackage[]; problems: OsFactsError[] }> {
  const problems: OsFactsError[] = [];
  const dpkg = await soft(dpkgStatus, problems, { packages: [], incomplete: 0 }, parseDpkgStatus);
  if (dpkg.incomplete > 0)
    problems.push(
      new OsFactsError(
        'malformed',
        dpkgStatus,
        `${dpkg.incomplete} installed stanzas without Package or Version skipped`,
      ),
    );
  return { packages: dpkg.packages, problems };
}
