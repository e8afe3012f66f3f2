import { availableParallelism, loadavg } from 'node:os';

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
}

/** How busy the machine was while measuring (a figure taken under load says less about the code). */
export function loadNote(): string {
  const [one] = loadavg();
  return `(load average ${one.toFixed(2)} on ${availableParallelism()} cores)`;
}
