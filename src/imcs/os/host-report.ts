import { collectInstalledPackages, collectOsFacts, CollectOptions, DEFAULT_OS_FACT_PATHS, OsFacts } from './facts';
import { prefetchHostIdentity } from './host-identity';
import type { OsReport, OsSources } from './os-imc';

export interface HostReportOptions extends CollectOptions {
  /** Whether the host still has a factory default password (not detectable: configured). */
  defaultPassword: boolean;
  /** Device ID to report (the AK key ID when a TPM is used); default: SHA-1 of /etc/machine-id. */
  deviceId?: string;
  /** Where the front end's user sets a device ID (a flag, a configuration key), named when there is none. */
  deviceIdOption?: string;
}

/** The OS IMC's sources on a real host: /etc/os-release, /proc and dpkg, paths overridable. */
export function hostOsSources(opts: HostReportOptions): OsSources {
  prefetchHostIdentity();
  let facts: Promise<OsFacts> | undefined;
  const load = (): Promise<OsFacts> => (facts ??= collectOsFacts(opts));
  return {
    report: async () => toReport(await load(), opts),
    installedPackages: async () => {
      const { packages, problems } = await collectInstalledPackages(
        opts.paths?.dpkgStatus ?? DEFAULT_OS_FACT_PATHS.dpkgStatus,
      );
      return { packages, problems: problems.map((p) => p.message) };
    },
  };
}

function toReport(f: OsFacts, opts: HostReportOptions): OsReport {
  return {
    product: { vendor: f.vendorId, productId: f.productId, name: f.productName },
    version: { version: f.version, build: '', config: '' },
    numeric: {
      major: f.numericVersion.major,
      minor: f.numericVersion.minor,
      build: 0,
      servicePackMajor: 0,
      servicePackMinor: 0,
    },
    operational: { status: f.operationalStatus, result: f.operationalResult, lastUse: f.lastBoot },
    forwarding: f.forwarding,
    defaultPassword: opts.defaultPassword,
    deviceId: requireDeviceId(opts.deviceId ?? f.deviceId, opts.deviceIdOption),
    endpoint: { hardware: f.hardware, network: f.network, problems: f.problems.map((p) => p.message) },
  };
}

function requireDeviceId(id: string | null | undefined, option: string | undefined): string {
  if (!id)
    throw new Error(
      `no device ID: /etc/machine-id is unreadable, the system UUID unknown, and none is configured${option ? ` (${option})` : ''}`,
    );
  return id;
}
