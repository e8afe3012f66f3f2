import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attest } from '../src/agent/attest';
import { makeLabPki } from '../src/cli/commands/pki';
import { hostOsSources } from '../src/imcs/os/host-report';
import { silentLogger } from '../src/log';
import { spawnAgent, line, progress, QUICK } from './_util';
import { listeningPort, serverModeArgs, loopbackClient } from '../test/helpers/server-process';

// OS-only TNC handshakes over PT-TLS on loopback against `tnc-agent --server-mode` (dist/) in its
// own process: handshakes per second with 1 and 200 concurrent clients, and the server's RSS idle,
// after the first ones and after all (a leak shows as growth; bench/soak.ts runs longer).
const ONE = QUICK ? 50 : 100;
const MANY = QUICK ? 400 : 2000;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-bench-'));
  const pki = await makeLabPki({ out: join(dir, 'pki') });
  const server = spawnAgent(serverModeArgs(join(dir, 'p.db'), pki, '--log-level', '0'));
  try {
    const port = await listeningPort(server);
    const os = hostOsSources({ defaultPassword: false, deviceId: 'bench-device' });
    const one = () =>
      attest({
        ...loopbackClient(port, pki),
        log: silentLogger,
        os,
      });
    const burst = async (total: number, concurrency: number): Promise<number> => {
      const t0 = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < total) await one();
        }),
      );
      return total / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    const idle = rssKiB(server.pid!);
    progress(`handshake: ${ONE} handshakes, 1 client`);
    line('handshake', 'OS-only handshakes/s, 1 client', await burst(ONE, 1), 'handshakes/s');
    const rssOne = rssKiB(server.pid!);
    progress(`handshake: ${MANY.toLocaleString('en-US')} handshakes, 200 concurrent clients`);
    line('handshake', 'OS-only handshakes/s, 200 concurrent clients', await burst(MANY, 200), 'handshakes/s');
    const rssAll = rssKiB(server.pid!);
    line('handshake', 'server RSS idle (no handshake yet)', idle / 1024, 'MiB');
    line('handshake', `server RSS after ${ONE} handshakes`, rssOne / 1024, 'MiB');
    line('handshake', `server RSS after ${(ONE + MANY).toLocaleString('en-US')} handshakes`, rssAll / 1024, 'MiB');
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
