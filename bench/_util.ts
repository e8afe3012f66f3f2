import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';

/** `npm run bench -- --quick`: fewer sizes and handshakes (scripts/bench.ts sets it for every module). */
export const QUICK = process.env.TNC_BENCH_QUICK === '1';
/** The compiled CLI (`npm run build`, which `npm run bench` runs first): the form that ships. */
export const DIST_MAIN = join(__dirname, '..', 'dist', 'cli', 'main.js');

/** The `tnc-agent` the benches run as processes. */
export interface AgentRuntime {
  /** The Node.js binary, for the bare runtime's figures (`node -e 0`). */
  readonly node: string;
  /** The command line that runs `tnc-agent ARGS`. */
  argv(args: readonly string[]): string[];
  /** What the report says was measured. */
  readonly label: string;
}

/**
 * `npm run bench -- --deb` unpacks the package and names its /usr/bin/tnc-agent (rewritten to the
 * unpacked paths) and runtime here (scripts/bench.ts): the agent and the server then start as
 * installed, with the package's Node.js and its flags; otherwise dist/ on the Node.js running the benches.
 */
export const RUNTIME: AgentRuntime = process.env.TNC_BENCH_DEB_WRAPPER
  ? {
      node: process.env.TNC_BENCH_DEB_NODE!,
      argv: (args) => [process.env.TNC_BENCH_DEB_WRAPPER!, ...args],
      label: process.env.TNC_BENCH_DEB_LABEL!,
    }
  : {
      node: process.execPath,
      argv: (args) => [process.execPath, DIST_MAIN, ...args],
      label: `dist/ on Node.js ${process.versions.node}`,
    };

/**
 * The environment of the processes measured: this one's less NODE_EXTRA_CA_CERTS, which build
 * machines set for their package proxy and no host running the agent needs (it names its CA with
 * --ca): Node.js 20 reads that file at every start, 40 ms of CPU here.
 */
export const MEASURED_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'),
);

const started = Date.now();

/** A line on stderr saying where a long bench is. */
export function progress(what: string): void {
  const s = Math.round((Date.now() - started) / 1000);
  process.stderr.write(`[bench ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}] ${what}\n`);
}

/** Every figure printed by `line`, for the report (scripts/bench.ts writes docs/benchmarks.md). */
export const figures: { area: string; what: string; value: number; unit: string }[] = [];
/** Structured results a module leaves for the report's tables and plots, by module. */
export const records = new Map<string, unknown>();

export function record(module: string, data: unknown): void {
  records.set(module, data);
}

/** Runs fn repeatedly for at least `minSeconds` and returns calls per second. */
export function rate(fn: () => void, minSeconds = 1): number {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const limit = BigInt(Math.round(minSeconds * 1e9));
  let elapsed: bigint;
  do {
    for (let i = 0; i < 16; i++) fn();
    n += 16;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < limit);
  return n / (Number(elapsed) / 1e9);
}

export function line(area: string, what: string, value: number, unit: string, note = ''): void {
  const v = value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
  console.log(`${area}: ${what} ${v} ${unit}${note ? ` ${note}` : ''}`);
  figures.push({ area, what, value, unit });
}

/** How busy the machine was while measuring (a figure taken under load says less about the code). */
export function loadNote(): string {
  const [one] = loadavg();
  return `(load average ${one.toFixed(2)} on ${availableParallelism()} cores)`;
}

export const GNU_TIME = '/usr/bin/time';

export interface TimedRun {
  /** Seconds from spawn to exit, read with the bench's own clock (GNU time's has 10 ms steps). */
  wall: number;
  /** User + system seconds, in GNU time's 10 ms steps. */
  cpu: number;
  rssMiB: number;
  status: number | null;
}

/** `tnc-agent ARGS` as RUNTIME starts it, in MEASURED_ENV (plus `env`), stderr piped (a server's listeningPort). */
export function spawnAgent(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const [cmd, ...rest] = RUNTIME.argv(args);
  return spawn(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...MEASURED_ENV, ...env } });
}

/** Runs a command (MEASURED_ENV, output to /dev/null) under GNU time: wall and CPU seconds, peak RSS. */
export function timeCommand(cmd: string[], dir: string): TimedRun {
  const out = join(dir, 'time.txt');
  const devnull = openSync('/dev/null', 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(GNU_TIME, ['-o', out, '-f', '%U %S %M', ...cmd], {
    stdio: ['ignore', devnull, devnull],
    env: MEASURED_ENV,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(devnull);
  const [user, sys, kib] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: user + sys, rssMiB: kib / 1024, status: r.status };
}
