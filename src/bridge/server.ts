import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect, createServer, Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../log';
import type { Imc } from '../tnccs/types';
import { BridgeSession, BridgeShared } from './session';
import { RETRY_REASON } from './protocol';

export const DEFAULT_BRIDGE_SOCKET = '/run/tnc-agent/imc.sock';

export interface BridgeServerOptions {
  /** Unix socket the IF-IMC libraries connect to (they read TNC_AGENT_IMC_SOCKET, default DEFAULT_BRIDGE_SOCKET). */
  socketPath: string;
  /** The IMCs the libraries may attach, matched by name (case-insensitive) to the library's IMC name.
   *  The bridge calls `initialize` on them with the TNC client's IMC ID: give it its own instances. */
  imcs: Imc[];
  log: Logger;
  /** Socket file mode; 0o660 lets the daemon's group and root (charon) connect. */
  mode?: number;
}

export interface BridgeServer {
  readonly socketPath: string;
  /**
   * The host changed (a package, the IMA list): asks the TNC client, through each library's watch
   * socket, for a handshake retry on every connection whose handshake has ended, once per
   * connection ID. Returns the connection IDs asked for.
   */
  requestRetry(reason: string): number[];
  close(): Promise<void>;
}

/** Linux sockaddr_un holds 108 bytes, the terminating NUL included: a longer path is an error here, not EADDRINUSE later. */
export function checkSocketPath(path: string, what: string): void {
  const n = Buffer.byteLength(path);
  if (n > 107) throw new Error(`${what} ${path}: the path is ${n} bytes, a Unix socket path can have at most 107`);
}

/** Serves the IF-IMC bridge (docs/vpn.md) on a Unix socket until closed. */
export async function startBridgeServer(o: BridgeServerOptions): Promise<BridgeServer> {
  checkSocketPath(o.socketPath, 'IF-IMC bridge socket');
  await mkdir(dirname(o.socketPath), { recursive: true, mode: 0o750 });
  await removeStaleSocket(o.socketPath);
  const shared: BridgeShared = { claims: new Set(), watchers: new Map(), sessions: new Set() };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new BridgeSession(socket, o.imcs, shared, o.log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(o.socketPath, o.mode ?? 0o660);
  o.log.info(
    'TNC',
    `IF-IMC bridge listening on ${o.socketPath} for IMCs ${o.imcs.map((i) => `"${i.name}"`).join(', ')}`,
  );
  return {
    socketPath: o.socketPath,
    requestRetry: (reason) => requestRetry(shared, reason, o.log),
    close: () => closeServer(server, sockets),
  };
}

function requestRetry(shared: BridgeShared, reason: string, log: Logger): number[] {
  const asked: number[] = [];
  for (const s of shared.sessions) {
    const imc = s.attachedImc;
    const watcher = imc && [...(shared.watchers.get(imc) ?? [])][0];
    if (!watcher) continue;
    for (const id of s.decidedConnections) {
      if (asked.includes(id)) continue;
      asked.push(id);
      log.info(
        'TNC',
        `asking the TNC client for a handshake retry on Connection ID ${id} through IMC "${imc.name}": ${reason}`,
      );
      watcher.sendRetry(id, RETRY_REASON.INFORMATIONAL_EVENT);
    }
  }
  return asked;
}

/** A socket file left by a daemon that died is removed; one a live daemon answers on is not. */
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
  if (live) throw new Error(`another daemon is serving the IF-IMC bridge on ${path}`);
  await unlink(path);
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}
