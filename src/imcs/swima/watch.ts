import { watch } from 'chokidar';
import type { Logger } from '../../log';
import { statusPath, SwCollector } from './collector';

export interface LiveCollection {
  /** Resolves once the watcher is ready (the initial pass has run). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Live collection: chokidar watches dpkg's status file (dpkg replaces it by rename, hence `atomic`)
 * and every change runs a collector pass; `onEvents` hears how many events each pass recorded.
 */
export function watchDpkg(
  collector: SwCollector,
  root: string,
  log: Logger,
  onEvents: (count: number) => void = () => {},
): LiveCollection {
  const pass = (): void => {
    collector.collect().then(
      (n) => {
        if (n === 0) return;
        log.info('IMC', `collected ${n} SW ID events, last eid ${collector.store.lastEid()}`);
        onEvents(n);
      },
      (e: Error) => log.error('IMC', `SW collection failed: ${e.message}`),
    );
  };
  const watcher = watch(statusPath(root), {
    atomic: 50,
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: 20, pollInterval: 10 },
  });
  watcher.on('add', pass).on('change', pass);
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve())).then(() =>
    collector.collect().then((n) => {
      if (n > 0) onEvents(n);
    }),
  );
  return { ready, close: () => watcher.close() };
}
