import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ATTEST_EXIT, makeLogger } from '../common';
import { attest } from '../../agent/attest';
import { startLabServer, type LabServer } from '../../server-emu/lab-server';
import { openCollectors } from '../agent-collectors';
import { makeLabPki } from './pki';
import { exitCodeFor } from './attest';
import { hostOsSources } from '../../imcs/os/host-report';
import { startSwtpm } from '../../lab/swtpm';
import { decodeImaBinary, decodeImaFields } from '../../measurements/ima';
import type { Logger } from '../../log';
import { AttestationStore } from '../../policy/attestation';
import { WorkitemType } from '../../policy/workitem-types';
import type { FinalVerdict } from '../../tnccs/types';
import { PACKAGE_ROOT } from '../version';
import { Tpm } from '../../tpm/tpm';
import { evaluationName, recommendationName } from '../../tnccs/types';

/** A real guest's boot (Debian kernel, IMA, swtpm) shipped with the checkout: the demo's evidence. */
const SAMPLE = join(PACKAGE_ROOT, 'test', 'data', 'fixtures', 'vm', 'seabios');

/**
 * `tnc-agent demo` (npm start): the seed's handshake end to end in one process: a throwaway swtpm
 * with an AK, whose PCRs are extended with a recorded boot; a lab PKI and policy database (the
 * device trusted, reference hashes imported); the reference server with the OS, SWIMA and
 * Attestation IMVs on a free loopback port; this host's agent attesting with OS, SWIMA (this
 * machine's dpkg) and Attestation. Prints both sides' log and a summary, then removes everything.
 */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the full lab handshake (OS, SWIMA, TPM attestation on swtpm) on loopback, then clean up')
    .option(
      '--evidence <dir>',
      'recorded boot (binary_bios_measurements + binary_runtime_measurements) to attest',
      SAMPLE,
    )
    .option('--log-level <n>', '0 outcomes only, 1 events, 2 messages, 3 wire detail', '1')
    .option('--json', 'log JSON lines')
    .option('--keep <dir>', 'keep the lab files (PKI, policy DB, SWIMA store) in this directory')
    .action(async (o: { evidence: string; logLevel: string; json?: boolean; keep?: string }) => {
      const dir = o.keep ?? (await mkdtemp(join(tmpdir(), 'tnc-lab-')));
      const log = makeLogger(o);
      const code = await runDemo(dir, o.evidence, log)
        .catch((e: Error) => {
          log.error('TNC', `demo failed: ${e.message}`);
          return ATTEST_EXIT.ERROR;
        })
        .finally(() => (o.keep ? undefined : rm(dir, { recursive: true, force: true })));
      process.exit(code);
    });
}

async function runDemo(dir: string, evidence: string, log: Logger): Promise<number> {
  say(`lab: throwaway swtpm, PKI and policy database in ${dir}`);
  const swtpm = await startSwtpm();
  try {
    const ak = await provision(swtpm.tcti);
    say(`lab: attestation key provisioned; device ID ${ak}`);
    return await withServer(dir, log, ak, evidence, swtpm.tcti);
  } finally {
    await swtpm.stop();
  }
}

async function provision(tcti: string): Promise<string> {
  const tpm = await Tpm.open(tcti);
  try {
    return (await tpm.provisionAk()).keyId;
  } finally {
    await tpm.close();
  }
}

async function withServer(dir: string, log: Logger, deviceId: string, evidence: string, tcti: string): Promise<number> {
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
    verifiers: { swima: true, attestation: {} },
    onVerdict: (v) => (verdict = v),
  });
  try {
    const os = hostOsSources({ defaultPassword: false, deviceId });
    await seedPolicy(server, deviceId, await productOf(os), evidence);
    say(
      `lab: server on 127.0.0.1:${server.port} (OS, SWIMA, Attestation IMVs); the agent attests as '${pki.clientCn}'\n`,
    );
    const collectors = await openCollectors(
      { swima: true, swimaStore: join(dir, 'swima.db'), tcti, labEvidence: evidence },
      log.with({ side: 'agent' }),
    );
    try {
      const outcome = await attest({
        host: '127.0.0.1',
        port: server.port,
        cert: pki.files.clientCert,
        key: pki.files.clientKey,
        ca: pki.files.caCert,
        language: 'en',
        log: log.with({ side: 'agent' }),
        os,
        collectors,
      });
      summary(verdict, outcome);
      return exitCodeFor(outcome);
    } finally {
      await collectors.close();
    }
  } finally {
    await server.close();
  }
}

/** The product name the OS IMV files reference hashes under, e.g. "Debian 12 x86_64". */
async function productOf(os: ReturnType<typeof hostOsSources>): Promise<string> {
  const r = await os.report();
  return `${r.product.name} ${r.version.version}`;
}

/** SWIDT and TPMRA workitems for every device, this device trusted, reference hashes for the sample. */
async function seedPolicy(server: LabServer, deviceId: string, product: string, evidence: string): Promise<void> {
  await server.store.addEnforcement(WorkitemType.SWIDT, 'R');
  await server.store.addEnforcement(WorkitemType.TPMRA, 'BI');
  await server.store.setTrusted(deviceId, true);
  const list = decodeImaBinary(await readFile(join(evidence, 'binary_runtime_measurements'))).map((e) =>
    decodeImaFields(e),
  );
  // files only (not boot_aggregate); configuration under /etc is left out: it shows as "unknown", which policy allows
  const refs = list
    .filter((f) => f.path.startsWith('/') && !f.path.startsWith('/etc/'))
    .map((f) => ({ path: f.path, algo: 0x4000, hash: f.fileDigest.digest }));
  const n = await new AttestationStore(server.store).importFileHashes(product, refs);
  say(`lab: ${n} reference hashes for '${product}' imported from the sample's IMA list`);
}

function summary(verdict: FinalVerdict | undefined, outcome: Awaited<ReturnType<typeof attest>>): void {
  say('\n  side    recommendation   evaluation');
  say(
    `  server  ${pad(verdict ? recommendationName(verdict.recommendation) : '-')} ${verdict ? evaluationName(verdict.evaluation) : '-'}`,
  );
  say(
    `  agent   ${pad(outcome.access ?? '-')} ${outcome.assessment === undefined ? '-' : evaluationName(outcome.assessment)}`,
  );
  for (const r of outcome.reasons) say(`  reason  ${r}`);
  say(
    `  PB-TNC: ${outcome.stats.sent} batches sent, ${outcome.stats.received} received; ${outcome.stats.bytesOut} bytes out, ${outcome.stats.bytesIn} bytes in\n`,
  );
}

const pad = (s: string): string => s.padEnd(16);
const say = (s: string): void => console.log(s);
