import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostOsSources } from '../../src/imcs/os/host-report';

/** OS facts from a host tree written under `dir` (os-release, /proc files, a real dpkg status file). */
export function hostTree(dir: string, name: string, forwarding: '0' | '1'): ReturnType<typeof hostOsSources> {
  const root = join(dir, name);
  const file = (rel: string, text: string) => {
    writeFileSync(join(root, rel), text);
    return join(root, rel);
  };
  mkdirSync(join(root, 'proc'), { recursive: true });
  return hostOsSources({
    defaultPassword: false,
    machine: 'x86_64',
    paths: {
      osRelease: file('os-release', 'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\n'),
      ipv4Forward: file('proc/ip_forward', `${forwarding}\n`),
      ipv6Forward: file('proc/forwarding6', '0\n'),
      procStat: file('proc/stat', 'cpu 1 2 3\nbtime 1700000000\n'),
      uptime: file('proc/uptime', '100.00 50.00\n'),
      machineId: file('machine-id', '0123456789abcdef0123456789abcdef\n'),
      dpkgStatus: join(__dirname, '..', 'data', 'fixtures', 'dpkg', 'status'),
    },
  });
}
