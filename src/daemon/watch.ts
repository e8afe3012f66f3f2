import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `changed` once a file has stopped changing for `settleMs`. Watches the directory, not the
 * file: dpkg replaces /var/lib/dpkg/status by renaming a new file over it, which ends a file watch.
 */
export function watchSettled(file: string, settleMs: number, changed: () => void): { close(): void } {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  const w: FSWatcher = watch(dirname(file), (_event, f) => {
    if (f !== null && f.toString() !== name) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(changed, settleMs);
  });
  w.on('error', () => w.close());
  return {
    close: () => {
      if (timer) clearTimeout(timer);
      w.close();
    },
  };
}
