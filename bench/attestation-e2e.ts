import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLabPki } from '../src/cli/commands/pki';
import { akDeviceId } from '../src/imcs/attestation';
import { hostOsSources } from '../src/imcs/os/host-report';
import { extendLabEvidence } from '../src/lab';
import { startSwtpm } from '../src/lab/swtpm';
import { silentLogger } from '../src/log';
import { decodeImaBinary, decodeImaFields, encodeImaEntry } from '../src/measurements/ima';
import { AttestationStore, type FileHashEntry } from '../src/policy/attestation';
import { PolicyStore } from '../src/policy/store';
import { WorkitemType } from '../src/policy/workitem-types';
import { Tpm } from '../src/tpm/tpm';
import { line, MEASURED_ENV, progress, QUICK, record, RUNTIME, spawnAgent } from './_util';
import { listeningPort } from '../test/helpers/server-process';

// End-to-end attestation (OS + Attestation IMCs against OS + Attestation IMVs) over PT-TLS on
// loopback with swtpm, at the IMA list sizes of SIZES, in the form that ships: both ends are
// `npm run build`'s dist/ run by node as processes, `tnc-agent --server-mode` and one
// `tnc-agent attest` process per handshake, so the agent's figures include its start-up (its fixed
// cost per handshake). Wall is the agent process from spawn to exit; its CPU (user + system) and
// peak RSS (VmHWM) are read as it exits (a --require'd hook); the server's CPU from /proc, its
// peak RSS as VmHWM. Evidence: the real seabios guest boot (test/data/fixtures/vm/seabios), its
// IMA entries repeated to the size and extended into swtpm once per size (lab evidence),
// outside the timed part. Reference hashes: the guest's files (so the entries are "ok") plus one
// synthetic reference per further entry, so the reference table grows with the size as it would
// on a real product. Figures are the median of RUNS handshakes per size; both sides log at level 1
// (as strongSwan's did), and the server's log lines per handshake are counted.
// Both run as RUNTIME says (dist/ on this Node.js, or an unpacked .deb on its own runtime).
// TNC_BENCH_AGENT=FILE runs another agent build (its bin/tnc-agent.js or dist/cli/main.js) on the
// same runtime against the same server: a before/after comparison in one run.
const SEED = join(__dirname, '..', 'test', 'data', 'fixtures', 'vm', 'seabios');
const OTHER_AGENT = process.env.TNC_BENCH_AGENT;
const agentArgv = (args: string[]): string[] =>
  OTHER_AGENT ? [RUNTIME.node, OTHER_AGENT, ...args] : RUNTIME.argv(args);
const SIZES = QUICK ? [1732, 10_000] : [1732, 10_000, 50_000, 100_000];
const RUNS = QUICK ? 1 : 3;
const SHA256_BIT = 0x4000;

interface Figures {
  wallSec: number;
  agentCpuSec: number;
  serverCpuSec: number;
  bytesOut: number;
  batches: number;
  agentPeakMiB: number;
  /** Of the agent's peak: the pages of files mapped (the runtime binary, libraries), shared with every process mapping them. */
  agentFileMiB: number;
  serverLogLines: number;
}

export interface E2eResult extends Figures {
  imaEntries: number;
  biosEvents: number;
  extendSec: number;
  serverPeakMiB: number;
  serverIdleMiB: number;
  /** Of the idle server's RSS: the pages of files mapped (the runtime binary, libraries, SQLite). */
  serverIdleFileMiB: number;
  /** The bare runtime (`node -e 0`): its peak RSS and the file pages of it, the floor of either process. */
  runtimeMiB: number;
  runtimeFileMiB: number;
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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Written into the worker's directory and required by the agent (NODE_OPTIONS, which the package's
 * wrapper passes on): its CPU, VmHWM and file-backed RSS (which only grows as files are mapped) as
 * it exits, on fd 3.
 */
const EXIT_HOOK = `process.on('exit', () => {
  const u = process.cpuUsage();
  const status = require('fs').readFileSync('/proc/self/status', 'utf8');
  const kib = (f) => Number(new RegExp(f + ':\\\\s+(\\\\d+) kB').exec(status)[1]);
  const figures = { cpuSec: (u.user + u.system) / 1e6, peakMiB: kib('VmHWM') / 1024, fileMiB: kib('RssFile') / 1024 };
  require('fs').writeSync(3, JSON.stringify(figures));
});
`;

interface AgentRun {
  out: string;
  code: number | null;
  wallSec: number;
  exit: { cpuSec: number; peakMiB: number; fileMiB: number };
}

function runAgent(hook: string, args: string[]): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const [cmd, ...rest] = agentArgv(args);
    const child = spawn(cmd, rest, {
      stdio: ['ignore', 'pipe', 'ignore', 'pipe'],
      env: { ...MEASURED_ENV, NODE_OPTIONS: `--require ${hook}` },
    });
    let out = '';
    let exit = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdio[3]!.on('data', (d: Buffer) => (exit += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;
      try {
        resolve({ out, code, wallSec, exit: JSON.parse(exit) as AgentRun['exit'] });
      } catch {
        reject(new Error(`the agent exited ${code} without its figures: ${out}`));
      }
    });
  });
}

/** The runtime alone (`node -e 0` with the exit hook): the floor under the agent's and the server's RSS. */
function bareRuntime(hook: string): { runtimeMiB: number; runtimeFileMiB: number } {
  const r = spawnSync(RUNTIME.node, ['-e', '0'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...MEASURED_ENV, NODE_OPTIONS: `--require ${hook}` },
  });
  const exit = JSON.parse(String(r.output[3])) as AgentRun['exit'];
  return { runtimeMiB: exit.peakMiB, runtimeFileMiB: exit.fileMiB };
}

/** Runs in a worker process: prepares one size, then measures RUNS handshakes. */
async function worker(total: number): Promise<E2eResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-bench-att-'));
  const swtpm = await startSwtpm();
  let server: ChildProcess | undefined;
  try {
    const tpm = await Tpm.open(swtpm.tcti);
    let deviceId: string;
    let ext: Awaited<ReturnType<typeof extendLabEvidence>>;
    let extendSec: number;
    const ev = evidenceDir(dir, total);
    try {
      await tpm.provisionAk();
      const t0 = process.hrtime.bigint();
      ext = await extendLabEvidence(tpm, swtpm.tcti, ev, silentLogger);
      extendSec = Number(process.hrtime.bigint() - t0) / 1e9;
      deviceId = await akDeviceId(tpm);
    } finally {
      await tpm.close(); // the agent processes open the TPM themselves
    }
    const r = await hostOsSources({ defaultPassword: false, deviceId }).report();
    await seedPolicy(join(dir, 'p.db'), deviceId, `${r.product.name} ${r.version.version}`, total);
    const pki = await makeLabPki({ out: join(dir, 'pki') });
    server = spawnAgent([
      '--server-mode',
      ...['--listen', '127.0.0.1:0', '--db', join(dir, 'p.db'), '--no-swima', '--log-level', '1'],
      ...['--cert', pki.files.serverCert, '--key', pki.files.serverKey, '--ca', pki.files.caCert],
    ]);
    const port = await listeningPort(server);
    let serverLines = 0;
    server.stderr!.on('data', (d: Buffer) => {
      for (const b of d) if (b === 0x0a) serverLines++;
    });
    await new Promise((res) => setTimeout(res, 500));
    const serverIdleMiB = procStatus(server.pid!, 'VmRSS');
    const serverIdleFileMiB = procStatus(server.pid!, 'RssFile');
    const hook = join(dir, 'exit-figures.cjs');
    writeFileSync(hook, EXIT_HOOK);
    const args = [
      'attest',
      ...['--server', `127.0.0.1:${port}`, '--cert', pki.files.clientCert, '--key', pki.files.clientKey],
      ...['--ca', pki.files.caCert, '--no-swima', '--tcti', swtpm.tcti, '--log-level', '1', '--json'],
      ...['--ima-list', join(ev, 'binary_runtime_measurements'), '--event-log', join(ev, 'binary_bios_measurements')],
    ];
    const once = async (): Promise<Figures> => {
      const s0 = cpuOf(server!.pid!);
      const lines0 = serverLines;
      const run = await runAgent(hook, args);
      const result = JSON.parse(run.out.trim().split('\n').at(-1) ?? '{}') as {
        access?: string;
        reasons?: string[];
        bytesOut?: number;
        batches: number;
      };
      if (run.code !== 0 || result.access !== 'allow')
        throw new Error(`the handshake ended ${run.code} '${result.access}': ${result.reasons?.join('; ')}`);
      await new Promise((res) => setTimeout(res, 100)); // the server's last batch is accounted once it is idle again
      return {
        wallSec: run.wallSec,
        agentCpuSec: run.exit.cpuSec,
        serverCpuSec: cpuOf(server!.pid!) - s0,
        bytesOut: result.bytesOut ?? NaN,
        batches: result.batches,
        agentPeakMiB: run.exit.peakMiB,
        agentFileMiB: run.exit.fileMiB,
        serverLogLines: serverLines - lines0,
      };
    };
    const runs: Figures[] = [];
    for (let i = 0; i < RUNS; i++) {
      progress(`attestation-e2e: ${total.toLocaleString('en-US')} IMA entries, handshake ${i + 1}/${RUNS}`);
      runs.push(await once());
    }
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
      agentFileMiB: Math.max(...runs.map((f) => f.agentFileMiB)),
      serverLogLines: med('serverLogLines'),
      serverPeakMiB: procStatus(server.pid!, 'VmHWM'),
      serverIdleMiB,
      serverIdleFileMiB,
      ...bareRuntime(hook),
    };
  } finally {
    server?.kill('SIGTERM');
    if (server && server.exitCode === null) await new Promise((res) => server!.once('exit', res));
    await swtpm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(r: E2eResult): void {
  const label = `(${r.biosEvents} BIOS + ${r.imaEntries.toLocaleString('en-US')} IMA)`;
  line('attestation-e2e', `wall ${label}`, r.wallSec, 's');
  line('attestation-e2e', `agent CPU ${label}`, r.agentCpuSec, 's');
  line('attestation-e2e', `server CPU ${label}`, r.serverCpuSec, 's');
  line('attestation-e2e', `server CPU per IMA entry ${label}`, (r.serverCpuSec * 1e6) / r.imaEntries, 'us');
  // (an agent build from before attest --json reported bytes has none: TNC_BENCH_AGENT)
  if (Number.isFinite(r.bytesOut))
    line('attestation-e2e', `PB-TNC bytes client to server ${label}`, r.bytesOut, 'bytes');
  line('attestation-e2e', `PB-TNC batches both ways ${label}`, r.batches, 'batches');
  line('attestation-e2e', `peak RSS agent ${label}`, r.agentPeakMiB, 'MiB');
  line(
    'attestation-e2e',
    `peak RSS agent, private (less mapped files) ${label}`,
    r.agentPeakMiB - r.agentFileMiB,
    'MiB',
  );
  line('attestation-e2e', `peak RSS server ${label}`, r.serverPeakMiB, 'MiB');
  line('attestation-e2e', `server RSS idle before it ${label}`, r.serverIdleMiB, 'MiB');
  line(
    'attestation-e2e',
    `server RSS idle, private (less mapped files) ${label}`,
    r.serverIdleMiB - r.serverIdleFileMiB,
    'MiB',
  );
  line('attestation-e2e', `bare runtime RSS (node -e 0) ${label}`, r.runtimeMiB, 'MiB');
  line('attestation-e2e', `bare runtime RSS, its mapped files ${label}`, r.runtimeFileMiB, 'MiB');
  line('attestation-e2e', `server log lines at level 1 ${label}`, r.serverLogLines, 'lines');
  line('attestation-e2e', `(untimed) swtpm extend ${label}`, r.extendSec, 's');
}

/** One worker process per size (the setup runs through tsx there). TNC_BENCH_IMA=1732,10000 picks sizes. */
export async function run(): Promise<void> {
  const sizes = process.env.TNC_BENCH_IMA ? process.env.TNC_BENCH_IMA.split(',').map(Number) : SIZES;
  const results: E2eResult[] = [];
  for (const n of sizes) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', __filename, String(n)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out) as E2eResult;
    report(r);
    results.push(r);
  }
  record('attestation-e2e', results);
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
