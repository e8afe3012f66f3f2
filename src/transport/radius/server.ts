import { randomBytes, X509Certificate } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { createSecureContext } from 'node:tls';
import { silentLogger, type Logger } from '../../log';
import { decodeEap, EapCode, EapType, encodeEap, type EapPacket } from '../../protocol/eap';
import { isDecodeError } from '../../bytes/errors';
import {
  checkRequest,
  joinEapMessage,
  mppeKeyAttributes,
  RadiusAttr,
  RadiusCode,
  signAnswer,
  singleAttribute,
  splitEapMessage,
  type RadiusAttribute,
  type RadiusPacket,
} from '../../protocol/radius';
import { type FinalVerdict, Recommendation } from '../../tnccs/types';
import type { PtEapChannel } from './pt-eap-channel';
import { ReplayCache } from './replay-cache';
import { TtlsSession, type EapAnswer } from './ttls-session';

export interface RadiusServerOptions {
  host: string;
  port: number;
  /** The shared secret (RFC 2865 3), read from a file by the caller. */
  secret: Buffer;
  cert: string;
  key: string;
  /** CA(s) for optional client certificates inside EAP-TTLS (PEM). */
  ca: string;
  log?: Logger;
  /** ISOLATE → Access-Reject (default), or Access-Accept with Filter-Id/Class 'isolate'. */
  isolate?: 'reject' | 'accept';
  /** An EAP session without a request for this long is dropped (default 120 s). */
  idleTimeoutMs?: number;
  /** Concurrent EAP sessions (default 64); more are rejected. */
  maxSessions?: number;
  fragmentSize?: number;
}

export interface RadiusStats {
  /** Requests dropped for a bad or missing Message-Authenticator. */
  badAuthenticator: number;
  /** Datagrams dropped as no RADIUS Access-Request, and requests rejected for an undecodable EAP-Message. */
  malformed: number;
  duplicates: number;
  accepts: number;
  rejects: number;
  challenges: number;
}

export interface RadiusServer {
  readonly port: number;
  readonly stats: RadiusStats;
  close(): Promise<void>;
}

interface Entry {
  readonly session: TtlsSession;
  timer?: NodeJS.Timeout;
}

/**
 * A RADIUS authentication server (RFC 2865, RFC 3579 EAP) that runs EAP-TTLS with PT-EAP inside:
 * the TNC PDP behind a gateway's eap-radius (the PEP). Accepts only Access-Requests whose
 * Message-Authenticator checks out; others are counted and dropped, never answered.
 */
export async function startRadiusServer(
  o: RadiusServerOptions,
  serve: (channel: PtEapChannel) => Promise<FinalVerdict | undefined>,
): Promise<RadiusServer> {
  const log = o.log ?? silentLogger;
  const context = createSecureContext({
    cert: o.cert,
    key: o.key,
    ca: o.ca,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
  });
  const cas = (o.ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (p) => new X509Certificate(p),
  );
  const stats: RadiusStats = {
    badAuthenticator: 0,
    malformed: 0,
    duplicates: 0,
    accepts: 0,
    rejects: 0,
    challenges: 0,
  };
  const sessions = new Map<string, Entry>();
  const replay = new ReplayCache();
  const idle = o.idleTimeoutMs ?? 120_000;
  const socket = createSocket(o.host.includes(':') ? 'udp6' : 'udp4');

  const end = (state: string, why: string) => {
    const e = sessions.get(state);
    if (!e) return;
    clearTimeout(e.timer);
    sessions.delete(state);
    e.session.abort(why);
  };
  const touch = (state: string) => {
    const e = sessions.get(state);
    if (!e) return;
    clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      log.info('CFG', `RADIUS EAP session timed out after ${idle / 1000} s without a request`);
      end(state, 'timed out');
    }, idle);
  };

  const answer = (req: RadiusPacket, a: EapAnswer, state: Buffer | undefined): Buffer | undefined => {
    if (a.kind === 'drop') return undefined;
    const attrs: RadiusAttribute[] = [...splitEapMessage(a.eap)];
    let code: RadiusCode;
    if (a.kind === 'challenge') {
      code = RadiusCode.ACCESS_CHALLENGE;
      attrs.push({ type: RadiusAttr.STATE, value: state! });
      stats.challenges++;
    } else if (a.kind === 'accept') {
      code = RadiusCode.ACCESS_ACCEPT;
      const group = Buffer.from(a.verdict.recommendation === Recommendation.ALLOW ? 'allow' : 'isolate');
      attrs.push(
        { type: RadiusAttr.FILTER_ID, value: group },
        { type: RadiusAttr.CLASS, value: group },
        ...mppeKeyAttributes(a.msk, o.secret, req.authenticator),
      );
      stats.accepts++;
    } else {
      code = RadiusCode.ACCESS_REJECT;
      attrs.push({ type: RadiusAttr.REPLY_MESSAGE, value: Buffer.from(a.reason.slice(0, 253)) });
      stats.rejects++;
    }
    return signAnswer(code, req, attrs, o.secret);
  };

  const reject = (req: RadiusPacket, identifier: number, reason: string): Buffer => {
    log.info('CFG', `RADIUS Access-Reject: ${reason}`);
    return answer(
      req,
      { kind: 'reject', eap: encodeEap({ code: EapCode.FAILURE, identifier, data: Buffer.alloc(0) }), reason },
      undefined,
    )!;
  };

  /** The answer to one authenticated Access-Request (undefined: drop). */
  const handle = async (req: RadiusPacket): Promise<Buffer | undefined> => {
    let eap: EapPacket | undefined;
    let stateAttr: Buffer | undefined;
    try {
      stateAttr = singleAttribute(req, RadiusAttr.STATE, 'State');
      const raw = joinEapMessage(req);
      // RFC 3579 3.1: an empty EAP-Message is EAP-Start: ask for the identity
      if (raw.length === 0 && !stateAttr) {
        return signAnswer(
          RadiusCode.ACCESS_CHALLENGE,
          req,
          splitEapMessage(
            encodeEap({ code: EapCode.REQUEST, identifier: 0, type: EapType.IDENTITY, data: Buffer.alloc(0) }),
          ),
          o.secret,
        );
      }
      eap = decodeEap(raw);
    } catch (e) {
      if (!isDecodeError(e)) throw e;
      stats.malformed++;
      return reject(req, 0, `malformed EAP-Message: ${e.message}`);
    }
    let key: string;
    if (stateAttr) {
      key = stateAttr.toString('hex');
      if (!sessions.has(key)) return reject(req, eap.identifier, 'unknown State');
    } else {
      if (sessions.size >= (o.maxSessions ?? 64))
        return reject(req, eap.identifier, `too many EAP sessions (${sessions.size})`);
      key = randomBytes(16).toString('hex');
      const session = new TtlsSession({
        context,
        cas,
        log,
        serve,
        isolate: o.isolate ?? 'reject',
        fragmentSize: o.fragmentSize,
      });
      sessions.set(key, { session });
    }
    touch(key);
    const a = await sessions.get(key)!.session.handle(eap);
    if (a.kind === 'accept' || a.kind === 'reject') end(key, a.kind);
    if (a.kind === 'drop') log.info('CFG', `RADIUS request dropped: ${a.reason}`);
    return answer(req, a, Buffer.from(key, 'hex'));
  };

  const onMessage = async (msg: Buffer, peer: RemoteInfo) => {
    if (log.enabled(3)) log.log(3, 'CFG', `RADIUS in ${msg.toString('hex')}`);
    const checked = checkRequest(msg, o.secret);
    if (!checked.ok) {
      if (checked.malformed) stats.malformed++;
      else stats.badAuthenticator++;
      log.info('CFG', `RADIUS packet from ${peer.address}:${peer.port} dropped: ${checked.why}`);
      return;
    }
    const req = checked.packet;
    if (req.code !== RadiusCode.ACCESS_REQUEST) {
      stats.malformed++;
      log.info(
        'CFG',
        `RADIUS code ${req.code} from ${peer.address}:${peer.port} dropped: only Access-Request is served`,
      );
      return;
    }
    const key = `${peer.address}|${peer.port}|${req.identifier}`;
    const seen = replay.check(key, req.authenticator);
    if (seen !== 'new') {
      stats.duplicates++;
      log.debug(
        'CFG',
        `RADIUS retransmission of request ${req.identifier} from ${peer.address}:${peer.port}${seen === 'busy' ? ' ignored (in progress)' : ' answered again'}`,
      );
      if (seen !== 'busy') socket.send(seen, peer.port, peer.address);
      return;
    }
    log.debug('CFG', `received RADIUS Access-Request ${req.identifier} from ${peer.address}:${peer.port}`);
    let out: Buffer | undefined;
    try {
      out = await handle(req);
    } catch (e) {
      log.error('CFG', `RADIUS request ${req.identifier} failed: ${(e as Error).message}`);
      out = reject(req, 0, 'internal error');
    }
    replay.answered(key, out);
    if (out) {
      log.debug('CFG', `sending RADIUS ${RadiusCode[out[0]]} ${req.identifier} to ${peer.address}:${peer.port}`);
      if (log.enabled(3)) log.log(3, 'CFG', `RADIUS out ${out.toString('hex')}`);
      socket.send(out, peer.port, peer.address);
    }
  };

  socket.on('message', (m: Buffer, r: RemoteInfo) => void onMessage(m, r));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.port, o.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (e) => log.error('CFG', `RADIUS socket: ${e.message}`));
  return {
    port: socket.address().port,
    stats,
    close: async () => {
      for (const k of [...sessions.keys()]) end(k, 'server stopping');
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}
