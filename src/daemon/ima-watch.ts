import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * How many measurements the IMA list holds: securityfs files report no size and cannot be watched
 * (no inotify), so the kernel's `runtime_measurements_count` beside the list is read when it is
 * there; a regular file (a copy, tests) is measured by its size.
 */
async function imaLength(list: string): Promise<number | undefined> {
  const count = await readFile(join(dirname(list), 'runtime_measurements_count'), 'utf8').catch(() => undefined);
  if (count !== undefined && /^\d+\s*$/.test(count)) return Number(count);
  return stat(list).then(
    (s) => s.size,
    () => undefined,
  );
}

/** Polls the IMA list every `intervalMs`; calls `grew` once per poll that finds new measurements. */
export function watchImaGrowth(list: string, intervalMs: number, grew: () => void): { close(): void } {
  let last: number | undefined;
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    const n = await imaLength(list);
    busy = false;
    if (n !== undefined && last !== undefined && n > last) grew();
    if (n !== undefined) last = n;
  };
  void poll();
  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
