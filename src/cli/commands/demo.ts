import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ATTEST_EXIT, makeLogger } from '../common';
import { attest, startLabServer } from '../compose';
import { makeLabPki } from './pki';
import { hostOsSources } from '../../imcs/os/host-report';
import { exitCodeFor } from './attest';
import { evaluationName, recommendationName } from '../../tnccs/types';
import type { FinalVerdict } from '../../server-emu/server';

/**
 * `tnc-agent demo` (npm start): a whole lab in one process: a throwaway PKI and policy database,
 * the reference server on a free loopback port, and this host's agent attesting to it over
 * PT-TLS. Prints the server's seed-style log and the verdict; removes everything afterwards.
 */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run a full lab handshake on loopback: throwaway PKI and policy DB, server and agent, then clean up')
    .option('--log-level <n>', '0 outcomes only, 1 events, 2 messages, 3 wire detail', '2')
    .option('--json', 'log JSON lines')
    .option('--keep <dir>', 'keep the lab files (PKI, policy DB) in this directory instead of a temporary one')
    .action(async (o: { logLevel: string; json?: boolean; keep?: string }) => {
      const dir = o.keep ?? (await mkdtemp(join(tmpdir(), 'tnc-lab-')));
      const log = makeLogger(o);
      const code = await runDemo(dir, log)
        .catch((e: Error) => {
          log.error('TNC', `demo failed: ${e.message}`);
          return ATTEST_EXIT.ERROR;
        })
        .finally(() => (o.keep ? undefined : rm(dir, { recursive: true, force: true })));
      process.exit(code);
    });
}

async function runDemo(dir: string, log: ReturnType<typeof makeLogger>): Promise<number> {
  console.log(`lab: making a throwaway PKI and policy database in ${dir}`);
  const pki = await makeLabPki({ out: join(dir, 'pki') });
  let verdict: FinalVerdict | undefined;
  const server = await startLabServer({
    host: '127.0.0.1',
    port: 0,
    db: join(dir, 'policy.db'),
    cert: pki.files.serverCert,
    key: pki.files.serverKey,
    ca: pki.files.caCert,
    policy: 'default',
    log: log.with({ side: 'server' }),
    onVerdict: (v) => (verdict = v),
  });
  console.log(`lab: server listening on 127.0.0.1:${server.port}; the agent attests as '${pki.clientCn}'`);
  try {
    const outcome = await attest({
      host: '127.0.0.1',
      port: server.port,
      cert: pki.files.clientCert,
      key: pki.files.clientKey,
      ca: pki.files.caCert,
      language: 'en',
      log: log.with({ side: 'agent' }),
      os: hostOsSources({ defaultPassword: false }),
    });
    await server.close();
    console.log('\n  side    recommendation   evaluation');
    console.log(`  server  ${pad(verdict ? recommendationName(verdict.recommendation) : '-')} ${verdict ? evaluationName(verdict.evaluation) : '-'}`);
    console.log(`  agent   ${pad(outcome.access ?? '-')} ${outcome.assessment === undefined ? '-' : evaluationName(outcome.assessment)}`);
    console.log(`  PB-TNC batches: ${outcome.stats.sent} sent, ${outcome.stats.received} received; ${outcome.stats.bytesOut} bytes out, ${outcome.stats.bytesIn} bytes in\n`);
    return exitCodeFor(outcome);
  } catch (e) {
    await server.close();
    throw e;
  }
}

const pad = (s: string): string => s.padEnd(16);
