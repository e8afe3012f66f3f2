import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { attest } from '../src/agent/attest';
import { makeLabPki } from '../src/cli/commands/pki';
import { akDeviceId } from '../src/imcs/attestation';
import { hostOsSources } from '../src/imcs/os/host-report';
import { extendLabEvidence, labEvidencePaths } from '../src/lab';
import { startSwtpm } from '../src/lab/swtpm';
import { Logger, silentLogger } from '../src/log';
import { decodeImaBinary, decodeImaFields, encodeImaEntry } from '../src/measurements/ima';
import { AttestationStore, type FileHashEntry } from '../src/policy/attestation';
import { PolicyStore } from '../src/policy/store';
import { WorkitemType } from '../src/policy/workitem-types';
import { Tpm } from '../src/tpm/tpm';
import { line } from './_util';
import { listeningPort } from '../test/helpers/server-process';

// End-to-end attestation (OS + Attestation IMCs against OS + Attestation IMVs) over PT-TLS on
// loopback with swtpm, at the IMA list sizes of SIZES. The server is `tnc-agent --server-mode` in
// its own process (CPU and peak RSS from /proc); the agent runs in a worker process of this bench,
// one per size, measured with process.cpuUsage and VmHWM (reset after the preparation). Evidence:
// the real seabios guest boot (test/data/fixtures/vm/seabios), its IMA entries repeated to the size
// and extended into swtpm once per size (lab evidence mode), outside the timed part. Reference
// hashes: the guest's files (so the entries are "ok") plus one synthetic reference per further
// entry, so the reference table grows with the size as it would on a real product.
// Figures are the median of RUNS handshakes per size; both sides log at level 1 (as strongSwan's).
const SEED = join(__dirname, '..', 'test', 'data', 'fixtures', 'vm', 'seabios');
const BIN = join(__dirname, '..', 'bin', 'tnc-agent.js');
const SIZES = [1732, 10_000, 50_000, 100_000];
const RUNS = 3;
const SHA256_BIT = 0x4000;
/** TNC_BENCH_CPU_PROF=DIR: V8 CPU profiles of the server (node --cpu-prof) and of the agent's timed part go there. */
const PROF = process.env.TNC_BENCH_CPU_PROF;

interface Figures {
  wallSec: number;
  agentCpuSec: number;
  serverCpuSec: number;
  bytesOut: number;
  batches: number;
  agentPeakMiB: number;
  serverPeakMiB: number;
}

interface Result extends Figures {
  imaEntries: number;
  biosEvents: number;
  extendSec: number;
}

/** The seed's IMA list: boot_aggregate first, then the guest's entries over and over up to `total`. */
function imaList(total: number): Buffer {
  const entries = decodeImaBinary(readFileSync(join(SEED, 'binary_runtime_measurements'))).map((e) =>
    encodeImaEntry(e),
  );
  const out = [entries[0]];
  for (let i = 0; out.length < total; i++) out.push(entries[1 + (i % (entries.length - 1))]);
  return Buffer.concat(out);
}

function evidenceDir(dir: string, total: number): string {
  const ev = join(dir, 'evidence');
  mkdirSync(ev);
  copyFileSync(join(SEED, 'binary_bios_measurements'), join(ev, 'binary_bios_measurements'));
  writeFileSync(join(ev, 'binary_runtime_measurements'), imaList(total));
  return ev;
}

function* references(total: number): Generator<FileHashEntry> {
  const files = decodeImaBinary(readFileSync(join(SEED, 'binary_runtime_measurements')))
    .slice(1)
    .map((e) => decodeImaFields(e));
  for (const f of files) yield { path: f.path, algo: SHA256_BIT, hash: f.fileDigest.digest };
  for (let i = files.length; i < total; i++)
    yield { path: `/usr/lib/bench/d${i % 211}/f${i}.so`, algo: SHA256_BIT, hash: Buffer.alloc(32, i & 0xff) };
}

async function seedPolicy(db: string, deviceId: string, product: string, total: number): Promise<void> {
  const store = await PolicyStore.open(db);
  try {
    await store.addEnforcement(WorkitemType.TPMRA, 'BI');
    await store.setTrusted(deviceId, true);
    await new AttestationStore(store).importFileHashes(product, references(total));
  } finally {
    await store.close();
  }
}

function procStatus(pid: number | 'self', field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime of a process in seconds (proc(5): fields 14 and 15). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Starts the V8 profiler in this process; the returned function stops it and writes the profile. */
async function agentProfiler(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = promisify(session.post.bind(session)) as (method: string) => Promise<unknown>;
  await post('Profiler.enable');
  await post('Profiler.start');
  return async (file) => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs in a worker process: prepares one size, then measures RUNS handshakes. */
async function worker(total: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-bench-att-'));
  const swtpm = await startSwtpm();
  const tpm = await Tpm.open(swtpm.tcti);
  let server: ChildProcess | undefined;
  try {
    await tpm.provisionAk();
    const ev = evidenceDir(dir, total);
    const t0 = process.hrtime.bigint();
    const ext = await extendLabEvidence(tpm, swtpm.tcti, ev, silentLogger);
    const extendSec = Number(process.hrtime.bigint() - t0) / 1e9;
    const deviceId = await akDeviceId(tpm);
    const os = hostOsSources({ defaultPassword: false, deviceId });
    const r = await os.report();
    await seedPolicy(join(dir, 'p.db'), deviceId, `${r.product.name} ${r.version.version}`, total);
    const pki = await makeLabPki({ out: join(dir, 'pki') });
    server = spawn(
      process.execPath,
      [
        ...(PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF] : []),
        BIN,
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
        '--no-swima',
        '--log-level',
        '1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const port = await listeningPort(server);
    const agentLog = new Logger(1, 'text', { write: () => undefined });
    const once = async (): Promise<Figures> => {
      global.gc?.();
      writeFileSync('/proc/self/clear_refs', '5'); // proc(5): resets VmHWM to the current RSS
      const s0 = cpuOf(server!.pid!);
      const c0 = process.cpuUsage();
      const w0 = process.hrtime.bigint();
      const outcome = await attest({
        host: '127.0.0.1',
        port,
        cert: pki.files.clientCert,
        key: pki.files.clientKey,
        ca: pki.files.caCert,
        language: 'en',
        log: agentLog,
        os,
        collectors: { attestation: { tpm, paths: labEvidencePaths(ev) } },
      });
      const wallSec = Number(process.hrtime.bigint() - w0) / 1e9;
      const c = process.cpuUsage(c0);
      if (outcome.access !== 'allow')
        throw new Error(`the handshake ended '${outcome.access}': ${outcome.reasons.join('; ')}`);
      await new Promise((res) => setTimeout(res, 100)); // the server's last batch is accounted once it is idle again
      return {
        wallSec,
        agentCpuSec: (c.user + c.system) / 1e6,
        serverCpuSec: cpuOf(server!.pid!) - s0,
        bytesOut: outcome.stats.bytesOut,
        batches: outcome.stats.sent + outcome.stats.received,
        agentPeakMiB: procStatus('self', 'VmHWM'),
        serverPeakMiB: procStatus(server!.pid!, 'VmHWM'),
      };
    };
    const runs: Figures[] = [];
    const profiler = PROF ? await agentProfiler() : undefined;
    for (let i = 0; i < RUNS; i++) runs.push(await once());
    await profiler?.(join(PROF!, `agent-${total}.cpuprofile`));
    const med = (k: keyof Figures) => median(runs.map((f) => f[k]));
    return {
      imaEntries: ext.imaEntries,
      biosEvents: ext.biosEvents,
      extendSec,
      wallSec: med('wallSec'),
      agentCpuSec: med('agentCpuSec'),
      serverCpuSec: med('serverCpuSec'),
      bytesOut: med('bytesOut'),
      batches: med('batches'),
      agentPeakMiB: Math.max(...runs.map((f) => f.agentPeakMiB)),
      serverPeakMiB: procStatus(server.pid!, 'VmHWM'),
    };
  } finally {
    server?.kill('SIGTERM');
    if (server && server.exitCode === null) await new Promise((res) => server!.once('exit', res)); // (its CPU profile is written on exit)
    await tpm.close();
    await swtpm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(r: Result): void {
  const label = `(${r.biosEvents} BIOS + ${r.imaEntries.toLocaleString('en-US')} IMA)`;
  line('attestation-e2e', `wall ${label}`, r.wallSec, 's');
  line('attestation-e2e', `agent CPU ${label}`, r.agentCpuSec, 's');
  line('attestation-e2e', `server CPU ${label}`, r.serverCpuSec, 's');
  line('attestation-e2e', `server CPU per IMA entry ${label}`, (r.serverCpuSec * 1e6) / r.imaEntries, 'us');
  line('attestation-e2e', `PB-TNC bytes client to server ${label}`, r.bytesOut, 'bytes');
  line('attestation-e2e', `PB-TNC batches both ways ${label}`, r.batches, 'batches');
  line('attestation-e2e', `peak RSS agent ${label}`, r.agentPeakMiB, 'MiB');
  line('attestation-e2e', `peak RSS server ${label}`, r.serverPeakMiB, 'MiB');
  line('attestation-e2e', `(untimed) swtpm extend ${label}`, r.extendSec, 's');
}

/** One worker process per size, so each size's agent peak RSS is its own. TNC_BENCH_IMA=1732,10000 picks sizes. */
export async function run(): Promise<void> {
  const sizes = process.env.TNC_BENCH_IMA ? process.env.TNC_BENCH_IMA.split(',').map(Number) : SIZES;
  for (const n of sizes) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, String(n)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    report(JSON.parse(out) as Result);
  }
}

if (require.main === module && process.argv[2]) {
  worker(Number(process.argv[2])).then(
    (r) => process.stdout.write(JSON.stringify(r)),
    (e: Error) => {
      console.error(e);
      process.exit(1);
    },
  );
}
