import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attest } from '../src/agent/attest';
import { makeLabPki } from '../src/cli/commands/pki';
import { hostOsSources } from '../src/imcs/os/host-report';
import { silentLogger } from '../src/log';
import { AttestationStore, AttestationView, type FileHashEntry } from '../src/policy/attestation';
import { PolicyStore } from '../src/policy/store';
import { WorkitemType } from '../src/policy/workitem-types';
import { listeningPort, serverModeArgs, loopbackClient } from '../test/helpers/server-process';
import { postgresSkip, startPostgres, type PgCluster } from '../test/helpers/postgres';
import { line, spawnAgent } from './_util';

// Fleet figures (issue: the policy store on PostgreSQL):
// - handshakes: HANDSHAKES OS-IMC handshakes (PWDEN enforced, 100 devices, CONCURRENT at a time) over
//   PT-TLS on loopback, spread over 2 `--server-mode` processes on one PostgreSQL, and against 1
//   server on SQLite: throughput and latency p50/p95. Clients, servers and PostgreSQL share the
//   machine's cores, so this measures the store's cost under load, not a real fleet's scale-out.
// - reference lookups: 100,000 IMA files looked up as the Attestation IMV does (one query per PA
//   message of 250 files) against a file_hashes table of REF_ROWS rows, on each engine; and the
//   import rate of those rows (db import-hashes' path: COPY on PostgreSQL).
// TNC_BENCH_HANDSHAKES and TNC_BENCH_REF_ROWS scale them (defaults 1,000 and 2,000,000; 0 leaves a part out).
const HANDSHAKES = Number(process.env.TNC_BENCH_HANDSHAKES ?? 1000);
const REF_ROWS = Number(process.env.TNC_BENCH_REF_ROWS ?? 2_000_000);
const LOOKUPS = 100_000;
const PER_MESSAGE = 250;
const CONCURRENT = 20;
const DEVICES = 100;
const PRODUCT = 'Debian 12 x86_64';
const SHA256 = 0x4000;

interface Db {
  db: string;
  passwordFile?: string;
}

function startServer(at: Db, pki: Awaited<ReturnType<typeof makeLabPki>>): ChildProcess {
  const auth = at.passwordFile ? ['--db-password-file', at.passwordFile] : [];
  const args = serverModeArgs(at.db, pki, ...auth, '--no-swima', '--no-attestation', '--log-level', '0');
  return spawnAgent(args);
}

const stop = (s: ChildProcess) =>
  new Promise<void>((resolve) =>
    s.exitCode !== null ? resolve() : (s.once('exit', () => resolve()), s.kill('SIGTERM')),
  );

async function handshakes(label: string, at: Db, servers: number, dir: string): Promise<void> {
  const seed = await PolicyStore.open(at.db, { passwordFile: at.passwordFile });
  await seed.addEnforcement(WorkitemType.PWDEN, '');
  await seed.close();
  const pki = await makeLabPki({ out: join(dir, `pki-${label}`) });
  const procs = Array.from({ length: servers }, () => startServer(at, pki));
  try {
    const ports = await Promise.all(procs.map(listeningPort));
    const ms: number[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < HANDSHAKES; i = next++) {
        const t0 = process.hrtime.bigint();
        const r = await attest({
          ...loopbackClient(ports[i % ports.length], pki),
          log: silentLogger,
          os: hostOsSources({ defaultPassword: false, deviceId: `bench-device-${i % DEVICES}` }),
        });
        if (r.access !== 'allow') throw new Error(`handshake ${i}: ${r.access} ${r.reasons.join('; ')}`);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    };
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: CONCURRENT }, worker));
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    const sorted = ms.sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    line('fleet', `${HANDSHAKES} handshakes, ${label}: throughput`, HANDSHAKES / sec, 'handshakes/s');
    line('fleet', `${HANDSHAKES} handshakes, ${label}: latency p50`, at(50), 'ms');
    line('fleet', `${HANDSHAKES} handshakes, ${label}: latency p95`, at(95), 'ms');
  } finally {
    await Promise.all(procs.map(stop));
  }
}

function* references(n: number): Generator<FileHashEntry> {
  for (let i = 0; i < n; i++)
    yield { path: `/usr/lib/pkg${i % 4000}/sub${i % 7}/file${i}.so`, algo: SHA256, hash: Buffer.alloc(32, i & 0xff) };
}

async function lookups(label: string, at: Db): Promise<void> {
  const store = await PolicyStore.open(at.db, { passwordFile: at.passwordFile });
  try {
    const att = new AttestationStore(store);
    const t0 = process.hrtime.bigint();
    await att.importFileHashes(PRODUCT, references(REF_ROWS));
    const importSec = Number(process.hrtime.bigint() - t0) / 1e9;
    line(
      'fleet',
      `reference hash import, ${label} (${REF_ROWS.toLocaleString('en-US')} rows)`,
      REF_ROWS / importSec,
      'rows/s',
    );
    if (store.db.engine === 'postgres') await store.db.exec('VACUUM ANALYZE');
    const product = await store.getOrCreateProduct(PRODUCT);
    const view = new AttestationView(att);
    // 9 of 10 files known, spread over the table; 1 of 10 unknown
    const path = (i: number) => {
      const row = (i * 7919) % REF_ROWS;
      return i % 10 === 9 ? `/opt/unknown/file${i}` : `/usr/lib/pkg${row % 4000}/sub${row % 7}/file${row}.so`;
    };
    const t1 = process.hrtime.bigint();
    let found = 0;
    for (let from = 0; from < LOOKUPS; from += PER_MESSAGE) {
      const names = Array.from({ length: PER_MESSAGE }, (_, i) => path(from + i));
      await view.loadReferences(product, SHA256, names);
      for (const n of names) found += view.referenceHashes(product, n, SHA256).length > 0 ? 1 : 0;
    }
    const sec = Number(process.hrtime.bigint() - t1) / 1e9;
    if (found !== LOOKUPS * 0.9) throw new Error(`found ${found} of ${LOOKUPS * 0.9} known files`);
    line(
      'fleet',
      `${LOOKUPS.toLocaleString('en-US')} IMA file lookups, ${label} (${PER_MESSAGE} per query)`,
      sec * 1000,
      'ms',
    );
  } finally {
    await store.close();
  }
}

export async function run(): Promise<void> {
  if (postgresSkip) {
    console.log(`fleet: skipped: ${postgresSkip}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tnc-fleet-'));
  let cluster: PgCluster | undefined;
  try {
    cluster = startPostgres();
    const pg = async (): Promise<Db> => ({ db: await cluster!.createDatabase(), passwordFile: cluster!.passwordFile });
    if (HANDSHAKES > 0) {
      await handshakes('1 server on SQLite', { db: join(dir, 'hs.db') }, 1, dir);
      await handshakes('2 servers on PostgreSQL', await pg(), 2, dir);
      await handshakes('1 server on PostgreSQL', await pg(), 1, dir);
    }
    if (REF_ROWS > 0) {
      await lookups('SQLite', { db: join(dir, 'refs.db') });
      await lookups('PostgreSQL', await pg());
    }
  } finally {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
