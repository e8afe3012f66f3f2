import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';

/** `npm run bench -- --quick`: fewer sizes and handshakes (scripts/bench.ts sets it for every module). */
export const QUICK = process.env.TNC_BENCH_QUICK === '1';
/** The compiled CLI (`npm run build`, which `npm run bench` runs first): the form that ships. */
export const DIST_MAIN = join(__dirname, '..', 'dist', 'cli', 'main.js');

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
