import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attest } from '../src/agent/attest';
import { makeLabPki } from '../src/cli/commands/pki';
import { hostOsSources } from '../src/imcs/os/host-report';
import { silentLogger } from '../src/log';
import { line } from './_util';
import { listeningPort } from '../test/helpers/server-process';

// OS-only TNC handshakes over PT-TLS on loopback against `tnc-agent --server-mode` in its own
// process: handshakes per second with 1 and 50 concurrent clients, and the server's RSS after
// 100 and after 10,000 handshakes (a leak shows as growth).
const bin = join(__dirname, '..', 'bin', 'tnc-agent.js');

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-bench-'));
  const pki = await makeLabPki({ out: join(dir, 'pki') });
  const server = spawn(
    process.execPath,
    [
      bin,
      '--server-mode',
      '--listen',
      '127.0.0.1:0',
      '--db',
      join(dir, 'p.db'),
      '--cert',
      pki.files.serverCert,
      '--key',
      pki.files.serverKey,
      '--ca',
      pki.files.caCert,
      '--log-level',
      '0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    const port = await listeningPort(server);
    const os = hostOsSources({ defaultPassword: false, deviceId: 'bench-device' });
    const one = () =>
      attest({
        host: '127.0.0.1',
        port,
        cert: pki.files.clientCert,
        key: pki.files.clientKey,
        ca: pki.files.caCert,
        language: 'en',
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
    line('handshake', 'OS-only handshakes/s, 1 client', await burst(100, 1), 'handshakes/s');
    const rss100 = rssKiB(server.pid!);
    line('handshake', 'OS-only handshakes/s, 50 concurrent clients', await burst(1000, 50), 'handshakes/s');
    await burst(10_000 - 1100, 50);
    const rss10k = rssKiB(server.pid!);
    line('handshake', 'server RSS after 100 handshakes', rss100 / 1024, 'MiB');
    line('handshake', 'server RSS after 10,000 handshakes', rss10k / 1024, 'MiB');
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
