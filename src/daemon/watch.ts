import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { longTimeout, type LongTimer } from './timer';

export interface Settler {
  /** Something changed: (re)starts the wait. */
  poke(): void;
  cancel(): void;
}

/** Calls `settled` once `settleMs` have passed without a further poke. */
export function settler(settleMs: number, settled: () => void): Settler {
  let timer: LongTimer | undefined;
  return {
    poke: () => {
      timer?.cancel();
      timer = longTimeout(settled, settleMs);
    },
    cancel: () => {
      timer?.cancel();
      timer = undefined;
    },
  };
}

/**
 * Calls `changed` once a file has stopped changing for `settleMs`. Watches the directory, not the
 * file: dpkg replaces /var/lib/dpkg/status by renaming a new file over it, which ends a file watch.
 */
export function watchSettled(file: string, settleMs: number, changed: () => void): { close(): void } {
  const name = basename(file);
  const s = settler(settleMs, changed);
  const w: FSWatcher = watch(dirname(file), (_event, f) => {
    if (f === null || f.toString() === name) s.poke();
  });
  w.on('error', () => w.close());
  return {
    close: () => {
      s.cancel();
      w.close();
    },
  };
}
