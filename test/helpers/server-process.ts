import type { ChildProcess } from 'node:child_process';

/**
 * The port a `tnc-agent --server-mode` child announces on stderr ("listening on 127.0.0.1:P");
 * after that its log keeps draining, so the child never blocks on a full pipe.
 */
export function listeningPort(p: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
      if (m) {
        p.stderr!.off('data', onData);
        p.stderr!.resume();
        resolve(Number(m[1]));
      }
    };
    p.stderr!.on('data', onData);
    p.once('exit', (c) => reject(new Error(`server exited ${c}: ${text}`)));
  });
}
