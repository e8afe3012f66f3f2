import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attest } from '../src/agent/attest';
import { makeLabPki } from '../src/cli/commands/pki';
import { hostOsSources } from '../src/imcs/os/host-report';
import { silentLogger } from '../src/log';
import { spawnAgent, line, progress, QUICK } from './_util';
import { listeningPort, serverModeArgs, loopbackClient } from '../test/helpers/server-process';
import { rssKiB } from './handshake';

// Soak: OS-only handshakes over PT-TLS on loopback against one `tnc-agent --server-mode` process,
// 1,000 one after another, then 200 started at once. Per-handshake latency percentiles for both,
// and the server's RSS after 100 and 1,000 handshakes (growth between them is a leak).
// Reading the figures: client and server share the machine's cores, so 200 handshakes started at
// once all finish together after about 200 / (sequential handshakes per second): p50 ≈ max there is
// fair interleaving, not a stall. Single handshakes of 20-27 s seen once were not reproduced (none
// over 5.2 s in 4,000 at 50 concurrent, with per-phase timestamps); that span matches TCP's
// retransmission backoff on loopback (200 ms doubling: 0.2 + 0.4 + ... + 12.8 s ≈ 25 s) under a
// loaded shared machine, which this code does not control; a handshake is bounded by the agent's
// [server] handshake-timeout in any case.
const SEQUENTIAL = QUICK ? 200 : 1000;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-soak-'));
  const pki = await makeLabPki({ out: join(dir, 'pki') });
  const server = spawnAgent(serverModeArgs(join(dir, 'p.db'), pki, '--log-level', '0'));
  try {
    const port = await listeningPort(server);
    const os = hostOsSources({ defaultPassword: false, deviceId: 'soak-device' });
    const one = async (): Promise<number> => {
      const t0 = process.hrtime.bigint();
      const r = await attest({
        ...loopbackClient(port, pki),
        log: silentLogger,
        os,
      });
      if (r.access === undefined) throw new Error('no recommendation');
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const sequential: number[] = [];
    let rss100 = NaN;
    progress(`soak: ${SEQUENTIAL.toLocaleString('en-US')} sequential handshakes, then 200 at once`);
    for (let i = 0; i < SEQUENTIAL; i++) {
      sequential.push(await one());
      if (i === 99) rss100 = rssKiB(server.pid!);
    }
    const rss1000 = rssKiB(server.pid!);
    report(`${SEQUENTIAL.toLocaleString('en-US')} sequential`, sequential);
    const concurrent = await Promise.all(Array.from({ length: 200 }, () => one()));
    report('200 concurrent', concurrent);
    line('soak', 'server RSS after 100 handshakes', rss100 / 1024, 'MiB');
    line('soak', `server RSS after ${SEQUENTIAL.toLocaleString('en-US')} handshakes`, rss1000 / 1024, 'MiB');
    line('soak', 'server RSS after the 200 concurrent ones', rssKiB(server.pid!) / 1024, 'MiB');
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(what: string, ms: number[]): void {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  for (const [name, v] of [
    ['p50', at(50)],
    ['p95', at(95)],
    ['p99', at(99)],
    ['max', sorted.at(-1)!],
  ] as const)
    line('soak', `${what} handshake latency ${name}`, v, 'ms');
}
