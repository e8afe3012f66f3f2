import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostOsSources } from '../../src/imcs/os/host-report';

export interface HostTreeOptions {
  /** /proc/sys/net/ipv4/ip_forward; default '0'. */
  forwarding?: '0' | '1';
  /** Ubuntu VERSION_ID; the product the OS IMV files hashes under is "Ubuntu <version> x86_64". */
  version?: string;
  deviceId?: string;
}

/** OS facts from a host tree written under `dir/name` (os-release, /proc files, a real dpkg status file). */
export function hostTree(dir: string, name: string, o: HostTreeOptions = {}): ReturnType<typeof hostOsSources> {
  const root = join(dir, name);
  const file = (rel: string, text: string) => {
    writeFileSync(join(root, rel), text);
    return join(root, rel);
  };
  mkdirSync(join(root, 'proc'), { recursive: true });
  return hostOsSources({
    defaultPassword: false,
    machine: 'x86_64',
    deviceId: o.deviceId,
    paths: {
      osRelease: file('os-release', `NAME="Ubuntu"\nVERSION_ID="${o.version ?? '22.04'}"\nID=ubuntu\n`),
      ipv4Forward: file('proc/ip_forward', `${o.forwarding ?? '0'}\n`),
      ipv6Forward: file('proc/forwarding6', '0\n'),
      procStat: file('proc/stat', 'cpu 1 2 3\nbtime 1700000000\n'),
      machineId: file('machine-id', '0123456789abcdef0123456789abcdef\n'),
      dpkgStatus: join(__dirname, '..', 'data', 'fixtures', 'dpkg', 'status'),
    },
  });
}
