import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { checkSocketPath } from '../bridge/server';
import { makeDirs } from './state-dir';
import { dirname } from 'node:path';

/**
 * The daemon's control socket (a Unix socket, by default /run/tnc-agent/control.sock, mode 0660):
 * the client writes one command line (`attest`, `status` or `reload`) and reads one JSON line back.
 * Only root and the tnc-agent group can connect (file mode); an unknown command gets an error answer.
 */
export const CONTROL_COMMANDS = ['attest', 'status', 'reload'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];
export type ControlHandler = (cmd: ControlCommand) => Promise<unknown>;

const MAX_REQUEST = 64;

export interface ControlServer {
  close(): Promise<void>;
}

export async function startControlServer(path: string, handle: ControlHandler): Promise<ControlServer> {
  checkSocketPath(path, 'control socket');
  await makeDirs(dirname(path));
  await removeStaleSocket(path);
  const server = createServer((s) => serve(s, handle));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o660);
  return { close: () => closeServer(server, path) };
}

function serve(s: Socket, handle: ControlHandler): void {
  let buf = '';
  s.setEncoding('utf8');
  s.on('error', () => s.destroy());
  s.on('data', (chunk: string) => {
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl < 0 && buf.length <= MAX_REQUEST) return;
    s.removeAllListeners('data');
    const cmd = (nl < 0 ? buf : buf.slice(0, nl)).trim();
    const reply = (v: unknown) => s.end(JSON.stringify(v) + '\n');
    if (!(CONTROL_COMMANDS as readonly string[]).includes(cmd))
      return reply({ error: `unknown command; use one of ${CONTROL_COMMANDS.join(', ')}` });
    handle(cmd as ControlCommand).then(reply, (e: Error) => reply({ error: e.message }));
  });
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

async function closeServer(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await unlink(path).catch(() => undefined);
}

/** Sends one command to a running daemon and returns its JSON answer. */
export function requestDaemon(
  path: string,
  cmd: ControlCommand,
  timeoutMs = 120_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    s.setEncoding('utf8');
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`no answer from the daemon on ${path} within ${timeoutMs} ms`)));
    s.on('connect', () => s.write(`${cmd}\n`));
    s.on('data', (c: string) => (buf += c));
    s.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(`cannot reach the daemon on ${path}: ${e.code ?? e.message} (is \`tnc-agent daemon\` running?)`),
      ),
    );
    s.on('end', () => {
      try {
        resolve(JSON.parse(buf) as Record<string, unknown>);
      } catch {
        reject(new Error(`the daemon on ${path} answered '${buf.slice(0, 80)}', not JSON`));
      }
    });
  });
}
