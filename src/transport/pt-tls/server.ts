import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { silentLogger, type Logger } from '../../log';
import { decodeSaslPlain, PT_TLS_HEADER_LEN, PT_TLS_VERSION, PtTlsErrorCode, SaslResult } from '../../protocol/pt-tls';
import { isDecodeError } from '../../bytes/errors';
import { PtTlsBatchTransport, type BatchTransport } from './batch-transport';
import { PtTlsConnection } from './connection';
import { isTransportError, TransportError } from './errors';
import { deadline, DEFAULTS, type PtTlsServerOptions } from './options';
import { peerCommonName } from './peer';

export interface PtTlsServer {
  readonly port: number;
  /** Stops listening and closes every open session. */
  close(): Promise<void>;
}

interface Session {
  readonly opts: PtTlsServerOptions;
  readonly log: Logger;
  readonly remaining: () => number;
}

/**
 * PT-TLS server (RFC 6876): for each client, TLS, version negotiation, certificate or SASL PLAIN
 * authentication, then `onSession` with the PB-TNC batch channel. A failing client only ends its
 * own session; the server keeps serving the others.
 */
export async function startPtTlsServer(
  opts: PtTlsServerOptions,
  onSession: (t: BatchTransport) => Promise<void>,
): Promise<PtTlsServer> {
  const log = opts.log ?? silentLogger;
  const requireClientCert = opts.requireClientCert ?? true;
  const server = createServer({
    cert: opts.cert,
    key: opts.key,
    ca: opts.ca,
    minVersion: 'TLSv1.2', // RFC 6876 3.2: TLS 1.2 or later
    requestCert: true,
    rejectUnauthorized: requireClientCert,
    handshakeTimeout: opts.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
  });
  const sockets = new Set<Socket>();
  // the peer's address, kept from the start: a socket that is gone no longer knows it
  const peers = new WeakMap<Socket, string>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    peers.set(s, peerLabel(s));
    log.info('TNC', `accepting PT-TLS stream from ${s.remoteAddress}`);
  });
  server.on('tlsClientError', (e: NodeJS.ErrnoException, s: TLSSocket) => {
    const raw = (s as unknown as { _parent?: Socket })._parent;
    const peer =
      (raw && peers.get(raw)) ?? peers.get(s) ?? (s.remoteAddress ? peerLabel(s) : 'a client whose address is gone');
    log.info('TNC', `TLS handshake with ${peer} failed: ${e.message}${e.code ? ` (${e.code})` : ''}`);
    s.destroy(); // with a listener here node leaves the socket open (e.g. after a handshake timeout)
  });
  server.on('secureConnection', (s: TLSSocket) => void serve(s, opts, log, onSession));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? DEFAULTS.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function peerLabel(s: Socket): string {
  return s.remoteFamily === 'IPv6' ? `[${s.remoteAddress}]:${s.remotePort}` : `${s.remoteAddress}:${s.remotePort}`;
}

async function serve(
  socket: TLSSocket,
  opts: PtTlsServerOptions,
  log: Logger,
  onSession: (t: BatchTransport) => Promise<void>,
): Promise<void> {
  const conn = new PtTlsConnection(socket, opts.maxMessageSize ?? DEFAULTS.maxMessageSize, log);
  const s: Session = { opts, log, remaining: deadline(opts.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs) };
  try {
    log.info('TNC', 'entering PT-TLS negotiation phase');
    await negotiateVersion(conn, s);
    const identity = await authenticate(conn, socket, s);
    // RFC 6876 3.8: an empty SASL Mechanisms list ends the negotiation phase
    await conn.send({ kind: 'saslMechanisms', mechanisms: [] });
    log.info('TNC', 'entering PT-TLS data transport phase');
    await onSession(new PtTlsBatchTransport(conn, identity, opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs));
  } catch (e) {
    const why = isTransportError(e) ? `${e.code}: ${e.message}` : String(e);
    log.error('TNC', `PT-TLS session with ${socket.remoteAddress} failed (${why})`);
  } finally {
    await conn.close();
  }
}

async function negotiateVersion(conn: PtTlsConnection, s: Session): Promise<void> {
  const req = await conn.expect('versionRequest', s.remaining(), 'negotiation');
  const { minVersion, maxVersion } = req.value;
  // RFC 6876 3.7: pick a version inside [min, max]; 1 is the only one there is
  if (minVersion > PT_TLS_VERSION || maxVersion < PT_TLS_VERSION) {
    throw await conn.abort(
      PtTlsErrorCode.VERSION_NOT_SUPPORTED,
      req.raw,
      `client offers PT-TLS versions ${minVersion}..${maxVersion}`,
    );
  }
  await conn.send({ kind: 'versionResponse', version: PT_TLS_VERSION });
  s.log.info('TNC', `negotiated PT-TLS version ${PT_TLS_VERSION}`);
}

/** Returns the access requestor identity: the certificate CN, else the SASL PLAIN authcid. */
async function authenticate(conn: PtTlsConnection, socket: TLSSocket, s: Session): Promise<string | undefined> {
  s.log.info('TNC', 'doing SASL client authentication');
  if (socket.authorized) {
    s.log.info('TNC', 'skipping SASL, client already authenticated by TLS certificate');
    return peerCommonName(socket);
  }
  if (!s.opts.sasl) return undefined; // no client authentication configured (only reachable with requireClientCert false)
  await conn.send({ kind: 'saslMechanisms', mechanisms: ['PLAIN'] });
  const sel = await conn.expect('saslMechanismSelection', s.remaining(), 'negotiation');
  if (sel.value.mechanism !== 'PLAIN' || !sel.value.initialResponse) {
    throw await conn.abort(
      PtTlsErrorCode.SASL_MECHANISM_ERROR,
      sel.raw,
      `unusable SASL selection '${sel.value.mechanism}'`,
    );
  }
  // the initial response follows the 16-byte header and the mechanism entry
  const user = checkPlain(
    sel.value.initialResponse,
    sel.offset + PT_TLS_HEADER_LEN + 1 + sel.value.mechanism.length,
    s.opts.sasl.users,
  );
  if (user === undefined) {
    // like strongSwan: ABORT on any SASL failure, no retry
    await conn.send({ kind: 'saslResult', result: SaslResult.ABORT });
    throw new TransportError('auth', 'SASL PLAIN authentication failed');
  }
  await conn.send({ kind: 'saslResult', result: SaslResult.SUCCESS });
  s.log.info('TNC', `SASL PLAIN authentication of '${user}' successful`);
  return user;
}

/** The authenticated authcid, or undefined for a wrong password, unknown user, proxy authzid or bad encoding. */
function checkPlain(
  response: Buffer,
  base: number,
  users: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): string | undefined {
  let c;
  try {
    c = decodeSaslPlain(response, base);
  } catch (e) {
    if (isDecodeError(e)) return undefined;
    throw e;
  }
  const expected =
    users instanceof Map
      ? users.get(c.authcid)
      : Object.hasOwn(users, c.authcid)
        ? (users as Record<string, string>)[c.authcid]
        : undefined;
  // RFC 4616 2: we authorize no one to act as someone else
  if (expected === undefined || (c.authzid !== '' && c.authzid !== c.authcid)) return undefined;
  const digest = (p: string) => createHash('sha256').update(p, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(c.password)) ? c.authcid : undefined;
}
