import { DecodedPbBatch, PB_BATCH, PB_BATCH_HEADER_LEN } from '../protocol/pb-tnc/batch';
import { PB_ERROR } from '../protocol/pb-tnc/errors';
import { pbMessageSize } from '../protocol/pb-tnc/message';
import type { PbMessage } from '../protocol/pb-tnc/registry';
import { PbErrorMsg } from '../protocol/pb-tnc/ietf/error';
import { PbLanguagePreferenceMsg } from '../protocol/pb-tnc/ietf/misc';
import { PbPaMsg } from '../protocol/pb-tnc/ietf/pa';
import { PbPdpReferralMsg } from '../protocol/pb-tnc/tcg';
import { PbRemediationParametersMsg } from '../protocol/pb-tnc/ietf/remediation';
import { PbAccessRecommendationMsg, PbAssessmentResultMsg, PbReasonStringMsg } from '../protocol/pb-tnc/ietf/result';
import { paSubtypeLabel } from '../protocol/vendors';
import type { Logger } from '../log';
import { TNCCS_PB_CODECS } from '../tnccs/pb-codecs';
import { PbConnection, PbProtocolError } from '../tnccs/pb-connection';
import { BatchChannel, ConnectionInfo, Evaluation, maxPaMessageSizeFor, PaEnvelope } from '../tnccs/types';
import { envelopeFromPbPa, pbPaFromEnvelope } from '../tnccs/pb-pa';
import type { ImcManager } from './imc-manager';
import type { HeldBytes } from '../protocol/pa-tnc/tcg/seg/reassembler';
import { connectionReassembly } from '../imcv/reassembly-budget';

/** RFC 5793 4.7: PB-Access-Recommendation codes. */
export type AccessDecision = 'allow' | 'no access' | 'isolate';

export interface HandshakeOutcome {
  readonly access?: AccessDecision;
  readonly assessment?: Evaluation;
  readonly reasons: string[];
  readonly remediation: string[];
  readonly pdpReferral?: string;
  readonly stats: PbConnection['stats'];
}

/**
 * Bounds on one handshake, so that a hostile or broken server (endless SDATA, endless SRETRY, a
 * batch every minute) cannot hold the agent forever; RFC 5793 sets none.
 */
export interface HandshakeLimits {
  /** Batches received from the server; default 1000 (a large SWIMA inventory in segments needs ~200). */
  readonly maxRounds: number;
  /** SRETRY batches (server-requested retries) honoured; default 5. */
  readonly maxServerRetries: number;
  /** Whole handshake, from connect to CLOSE; default 5 minutes. */
  readonly timeoutMs: number;
}

export const DEFAULT_HANDSHAKE_LIMITS: HandshakeLimits = { maxRounds: 1000, maxServerRetries: 5, timeoutMs: 300_000 };

/** The handshake went past one of its HandshakeLimits (the connection is closed). */
export class HandshakeLimitError extends PbProtocolError {}

export interface ClientOptions {
  connectionId: number;
  /** RFC 5793 4.10: the client's preferred language. */
  language: string;
  log: Logger;
  /** Handshake retries (CRETRY) IMCs may ask for on one connection; default 3. */
  maxRetries?: number;
  limits?: Partial<HandshakeLimits>;
  /** Bound on unfinished IF-M segment exchanges from the server (default: connectionReassembly()). */
  reassembly?: HeldBytes;
}

const stateOf = (access: AccessDecision | undefined): 'Allowed' | 'Isolated' | 'None' =>
  access === 'allow' ? 'Allowed' : access === 'isolate' ? 'Isolated' : 'None';

/**
 * The PB-TNC client (RFC 5793): CDATA out with the IMCs' messages, SDATA in, until RESULT; then
 * CLOSE. SRETRY restarts the IMCs' handshake.
 */
export async function runClientHandshake(
  imcs: ImcManager,
  channel: BatchChannel,
  opts: ClientOptions,
): Promise<HandshakeOutcome> {
  const pb = new PbConnection('client', channel, opts.connectionId, opts.log, TNCCS_PB_CODECS);
  const conn: ConnectionInfo = {
    id: opts.connectionId,
    maxPaMessageSize: maxPaMessageSizeFor(channel.maxBatchSize),
    transport: 'pt-tls',
    language: opts.language,
    log: opts.log,
    reassembly: opts.reassembly ?? connectionReassembly(),
  };
  const result: {
    access?: AccessDecision;
    assessment?: Evaluation;
    reasons: string[];
    remediation: string[];
    pdpReferral?: string;
  } = { reasons: [], remediation: [] };
  let notified = false;
  let retriesLeft = opts.maxRetries ?? 3;
  const limits = { ...DEFAULT_HANDSHAKE_LIMITS, ...opts.limits };
  let rounds = 0;
  let serverRetries = 0;
  let overLimit: string | undefined;
  const deadline = setTimeout(() => {
    overLimit = `the handshake took longer than ${limits.timeoutMs / 1000}s`;
    void channel.close();
  }, limits.timeoutMs);
  const limit = async (why: string): Promise<never> => {
    overLimit = why;
    await pb.send(PB_BATCH.CLOSE, []).catch(() => undefined);
    throw new HandshakeLimitError(why);
  };
  try {
    await imcs.createConnection(conn);
    await imcs.beginHandshake(conn);
    const language = PbLanguagePreferenceMsg.make(opts.language);
    await pb.send(PB_BATCH.CDATA, [language, ...outgoing(imcs, conn, channel.maxBatchSize - pbMessageSize(language))]);
    while (pb.state !== 'End') {
      const batch = await pb.receive();
      if (++rounds > limits.maxRounds)
        await limit(`the server sent more than ${limits.maxRounds} batches in one handshake`);
      if (batch.type === PB_BATCH.SRETRY && ++serverRetries > limits.maxServerRetries)
        await limit(`the server asked for more than ${limits.maxServerRetries} handshake retries (SRETRY)`);
      await checkBatch(pb, batch);
      await handleMessages(imcs, conn, batch.messages, result);
      if (batch.type === PB_BATCH.SDATA) {
        await imcs.batchEnding(conn);
        await pb.send(PB_BATCH.CDATA, outgoing(imcs, conn, channel.maxBatchSize));
      } else if (batch.type === PB_BATCH.SRETRY) {
        await imcs.beginHandshake(conn);
        await pb.send(PB_BATCH.CDATA, outgoing(imcs, conn, channel.maxBatchSize));
      } else if (batch.type === PB_BATCH.RESULT) {
        await imcs.notifyResult(conn, stateOf(result.access));
        notified = true;
        const retry = retriesLeft > 0 ? imcs.takeRetryRequest(conn.id) : undefined;
        if (retry === undefined) {
          await pb.send(PB_BATCH.CLOSE, []);
          continue;
        }
        // RFC 5793 3.2: from Decided a CRETRY starts the handshake over on the same connection
        retriesLeft--;
        notified = false;
        conn.log.info('TNC', `IMC requested a handshake retry: ${retry}`);
        await imcs.beginHandshake(conn);
        await pb.send(PB_BATCH.CRETRY, outgoing(imcs, conn, channel.maxBatchSize));
      }
    }
  } catch (e) {
    throw overLimit ? new HandshakeLimitError(overLimit) : e;
  } finally {
    clearTimeout(deadline);
    await imcs.endConnection(conn, notified ? undefined : stateOf(result.access));
    await channel.close();
  }
  if (result.access === undefined)
    throw new PbProtocolError('the server closed the connection without a recommendation');
  return { ...result, stats: pb.stats };
}

/**
 * RFC 5793 4.6, 4.7: at most one PB-Assessment-Result and one PB-Access-Recommendation per batch;
 * two (deny, then allow) are a protocol error, never "the last one wins". RFC 5793 4.9: a fatal
 * PB-Error from the server ends the session.
 */
async function checkBatch(pb: PbConnection, batch: DecodedPbBatch): Promise<void> {
  let offset = PB_BATCH_HEADER_LEN;
  const seen = new Set<string>();
  for (const m of batch.messages) {
    const once = PbAccessRecommendationMsg.is(m)
      ? 'PB-Access-Recommendation'
      : PbAssessmentResultMsg.is(m)
        ? 'PB-Assessment-Result'
        : undefined;
    if (once && seen.has(once)) {
      await pb.fail(
        PbErrorMsg.make({ fatal: true, vendor: 0, code: PB_ERROR.INVALID_PARAMETER, params: { offset } }),
        `the server sent a second ${once} message in one batch`,
      );
    }
    if (once) seen.add(once);
    if (PbErrorMsg.is(m) && m.value.fatal && batch.type !== PB_BATCH.CLOSE) {
      const why = `the server reported a ${PbErrorMsg.spec.describe?.(m.value).join(' ')}`;
      await pb.send(PB_BATCH.CLOSE, []).catch(() => undefined);
      throw new PbProtocolError(why);
    }
    offset += pbMessageSize(m);
  }
}

/** The IMCs' messages that fit a batch of `maxBatch` bytes; what does not fit goes in the next CDATA. */
function outgoing(imcs: ImcManager, conn: ConnectionInfo, maxBatch: number): PbMessage[] {
  return imcs.takeOutgoing(conn.id, maxBatch - PB_BATCH_HEADER_LEN).map(pbPaFromEnvelope);
}

async function handleMessages(
  imcs: ImcManager,
  conn: ConnectionInfo,
  messages: PbMessage[],
  result: {
    access?: AccessDecision;
    assessment?: Evaluation;
    reasons: string[];
    remediation: string[];
    pdpReferral?: string;
  },
): Promise<void> {
  for (const m of messages) {
    if (PbPaMsg.is(m)) {
      const env: PaEnvelope = envelopeFromPbPa(m.value);
      conn.log.debug('TNC', `handling PB-PA message type ${paSubtypeLabel(env.type)}`);
      if ((await imcs.deliver(conn, env)) === 0)
        conn.log.info('TNC', `no IMC subscribed to PA message type ${paSubtypeLabel(env.type)}`);
    } else if (PbAssessmentResultMsg.is(m)) {
      result.assessment = m.value as Evaluation;
    } else if (PbAccessRecommendationMsg.is(m)) {
      result.access = m.value === 1 ? 'allow' : m.value === 3 ? 'isolate' : 'no access';
    } else if (PbReasonStringMsg.is(m)) {
      result.reasons.push(m.value.text);
    } else if (PbRemediationParametersMsg.is(m)) {
      const text =
        m.value.kind === 'uri'
          ? m.value.uri
          : m.value.kind === 'string'
            ? m.value.text
            : `${m.value.raw.length} bytes of vendor ${m.value.vendor} type ${m.value.type}`;
      result.remediation.push(text);
      conn.log.info('TNC', `remediation: ${text}`);
    } else if (PbPdpReferralMsg.is(m)) {
      result.pdpReferral = PbPdpReferralMsg.spec.describe?.(m.value).join(' ');
      conn.log.info('TNC', `PDP referral: ${result.pdpReferral}`);
    } else if (PbErrorMsg.is(m)) {
      conn.log.error('TNC', `received PB-TNC error: ${JSON.stringify(m.value)}`);
    }
  }
}
