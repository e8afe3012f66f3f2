import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { silentLogger, type Logger } from '../../log';
import { encodeSaslPlain, PT_TLS_VERSION, PtTlsErrorCode, saslResultName, SaslResult } from '../../protocol/pt-tls';
import { PtTlsBatchTransport, type BatchTransport } from './batch-transport';
import { PtTlsConnection } from './connection';
import { TransportError } from './errors';
import { deadline, DEFAULTS, type PtTlsClientOptions } from './options';
import { peerCommonName } from './peer';

/**
 * PT-TLS client (RFC 6876): TLS, Version Request 1/1/1, SASL PLAIN when the server asks and we have
 * credentials, then the PB-TNC batch channel. Rejects with a TransportError if any step fails.
 */
export async function connectPtTls(opts: PtTlsClientOptions): Promise<BatchTransport> {
  const log = opts.log ?? silentLogger;
  const remaining = deadline(opts.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs);
  log.info('TNC', 'entering PT-TLS setup phase');
  const socket = await tlsConnect(opts, remaining());
  const conn = new PtTlsConnection(socket, opts.maxMessageSize ?? DEFAULTS.maxMessageSize, log);
  try {
    log.info('TNC', 'entering PT-TLS negotiation phase');
    log.info('TNC', `sending offer for PT-TLS version ${PT_TLS_VERSION}`);
    // RFC 6876 3.7.1: min, max and preferred version
    await conn.send({
      kind: 'versionRequest',
      minVersion: PT_TLS_VERSION,
      maxVersion: PT_TLS_VERSION,
      preferredVersion: PT_TLS_VERSION,
    });
    const resp = await conn.expect('versionResponse', remaining(), 'negotiation');
    if (resp.value.version !== PT_TLS_VERSION) {
      throw await conn.abort(
        PtTlsErrorCode.VERSION_NOT_SUPPORTED,
        resp.raw,
        `server chose PT-TLS version ${resp.value.version}`,
      );
    }
    log.info('TNC', 'doing SASL client authentication');
    await saslLoop(conn, opts, remaining, log);
    log.info('TNC', 'PT-TLS authentication complete');
    log.info('TNC', 'entering PT-TLS data transport phase');
    return new PtTlsBatchTransport(conn, peerCommonName(socket), opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs);
  } catch (e) {
    await conn.close();
    throw e;
  }
}

/** RFC 6876 3.8: SASL rounds until the server sends an empty SASL Mechanisms list. */
async function saslLoop(
  conn: PtTlsConnection,
  opts: PtTlsClientOptions,
  remaining: () => number,
  log: Logger,
): Promise<void> {
  for (;;) {
    const offer = await conn.expect('saslMechanisms', remaining(), 'negotiation');
    if (offer.value.mechanisms.length === 0) return;
    if (!opts.sasl || !offer.value.mechanisms.includes('PLAIN')) {
      throw await conn.abort(
        PtTlsErrorCode.SASL_MECHANISM_ERROR,
        offer.raw,
        `no usable SASL mechanism in [${offer.value.mechanisms.join(', ')}]`,
      );
    }
    log.info('TNC', `SASL PLAIN authentication as '${opts.sasl.user}'`);
    // RFC 4616 2 as strongSwan sends it: empty authzid, authcid, password
    const initialResponse = encodeSaslPlain({ authzid: '', authcid: opts.sasl.user, password: opts.sasl.password });
    await conn.send({ kind: 'saslMechanismSelection', mechanism: 'PLAIN', initialResponse });
    const result = await conn.expect('saslResult', remaining(), 'negotiation');
    if (result.value.result !== SaslResult.SUCCESS) {
      throw new TransportError('auth', `SASL PLAIN authentication failed: ${saslResultName(result.value.result)}`);
    }
  }
}

function tlsConnect(opts: PtTlsClientOptions, timeoutMs: number): Promise<TLSSocket> {
  const host = opts.host ?? DEFAULTS.host;
  return new Promise<TLSSocket>((resolve, reject) => {
    const socket = connect({
      host,
      port: opts.port,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      minVersion: 'TLSv1.2', // RFC 6876 3.2: TLS 1.2 or later
      servername: opts.servername ?? (isIP(host) ? undefined : host),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TransportError('timeout', `TLS handshake with ${host}:${opts.port} took over ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (e: Error) => {
      clearTimeout(timer);
      reject(new TransportError('tls', `TLS connection to ${host}:${opts.port} failed: ${e.message}`));
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}
