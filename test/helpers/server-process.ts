import { spawn, type ChildProcess } from 'node:child_process';

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

/** What a lab server needs of `tnc-agent pki`'s files. */
interface ServerPki {
  readonly files: { readonly serverCert: string; readonly serverKey: string; readonly caCert: string };
}

/** `tnc-agent --server-mode` arguments: a loopback port the OS picks, `db`, the lab PKI's server files, then `extra`. */
export function serverModeArgs(db: string, pki: ServerPki, ...extra: string[]): string[] {
  const tls = ['--cert', pki.files.serverCert, '--key', pki.files.serverKey, '--ca', pki.files.caCert];
  return ['--server-mode', '--listen', '127.0.0.1:0', '--db', db, ...tls, ...extra];
}

/** `bin` (bin/tnc-agent.js or dist's main) run with `args`, its stderr piped for listeningPort. */
export const spawnServer = (bin: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess =>
  spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: env && { ...process.env, ...env },
  });

/** startLabServer's options for a lab server on a loopback port the OS picks, with the lab PKI's server files. */
export const loopbackServer = (db: string, pki: ServerPki) => ({
  host: '127.0.0.1',
  port: 0,
  db,
  cert: pki.files.serverCert,
  key: pki.files.serverKey,
  ca: pki.files.caCert,
});

/** What a lab client needs of `tnc-agent pki`'s files. */
interface ClientPki {
  readonly files: { readonly clientCert: string; readonly clientKey: string; readonly caCert: string };
}

/** attest()'s options for a lab server on loopback `port`, with the lab PKI's client files, in English. */
export const loopbackClient = (port: number, pki: ClientPki) => ({
  host: '127.0.0.1',
  port,
  cert: pki.files.clientCert,
  key: pki.files.clientKey,
  ca: pki.files.caCert,
  language: 'en',
});
