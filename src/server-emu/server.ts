import { PB_BATCH, PB_BATCH_HEADER_LEN } from '../protocol/pb-tnc/batch';
import { pbMessageSize } from '../protocol/pb-tnc/message';
import type { PbMessage } from '../protocol/pb-tnc/registry';
import { PbErrorMsg } from '../protocol/pb-tnc/ietf/error';
import { PbLanguagePreferenceMsg } from '../protocol/pb-tnc/ietf/misc';
import { PbPaMsg } from '../protocol/pb-tnc/ietf/pa';
import { PbRemediationParametersMsg } from '../protocol/pb-tnc/ietf/remediation';
import { PbAccessRecommendationMsg, PbAssessmentResultMsg, PbReasonStringMsg } from '../protocol/pb-tnc/ietf/result';
import { paSubtypeLabel } from '../protocol/vendors';
import type { Logger } from '../log';
import { TNCCS_PB_CODECS } from '../tnccs/pb-codecs';
import { PbConnection } from '../tnccs/pb-connection';
import { envelopeFromPbPa, pbPaFromEnvelope } from '../tnccs/pb-pa';
import {
  BatchChannel,
  ConnectionInfo,
  Evaluation,
  evaluationName,
  FinalVerdict,
  maxPaMessageSizeFor,
  Recommendation,
  recommendationName,
} from '../tnccs/types';
import type { ImvManager } from './imv-manager';
import { ByteBudget, connectionReassembly } from '../imcv/reassembly-budget';
import { mergeVerdicts, RecommendationPolicy } from '../policy/merge';
import type { HandshakeEnd, HandshakeStart } from '../policy/handshakes';

/** Where each handshake's course is kept (the policy store, for the lab dashboard). */
export interface HandshakeRecorder {
  beginHandshake(h: HandshakeStart): unknown;
  endHandshake(connection: number, end: HandshakeEnd): unknown;
}

export interface ServerOptions {
  /** strongSwan's "TNC recommendation policy": how the IMVs' verdicts combine. */
  policy: RecommendationPolicy;
  log: Logger;
  /** TCG PB-PDP-Referral sent in the first SDATA, when set. */
  pdpReferral?: PbMessage;
  /** Where a denied or isolated endpoint learns how to fix itself (RFC 5793 4.8 PB-Remediation-Parameters, URI). */
  remediationUri?: string;
  /** Why a connection must not be allowed whatever its IMVs and the policy say (a session whose identity changed). */
  veto?: (connectionId: number) => string | undefined;
  /**
   * Called with the connection's recommendation before the IMVs learn it and the RESULT goes out,
   * where strongSwan runs its policy manager's "stop".
   */
  onRecommendation?: (conn: ConnectionInfo, rec: Recommendation) => void | Promise<void>;
  /** Records every handshake: transport, identity, duration, each IMV's and the merged verdict. */
  recorder?: HandshakeRecorder;
  /** Bounds on unfinished IF-M segment exchanges: per connection (default 64 MiB) and for all (default: the process's 256 MiB). */
  reassembly?: { perConnection?: number; total?: ByteBudget };
}

/** IF-IMV connection state for a recommendation (TCG IF-IMV 1.4: ACCESS_ALLOWED, ACCESS_ISOLATED, ACCESS_NONE). */
const connectionStateOf = (r: Recommendation): 'Allowed' | 'Isolated' | 'None' =>
  r === Recommendation.ALLOW ? 'Allowed' : r === Recommendation.ISOLATE ? 'Isolated' : 'None';

/** "<address> " of the access requestor, as strongSwan's policy manager names it (else its user identity). */
const requestorName = (conn: ConnectionInfo): string => {
  const name = conn.arIdentities?.machine?.value ?? conn.peerIdentity;
  return name === undefined ? '' : `${name} `;
};

/** RFC 5793 4.7 via IF-TNCCS: ALLOW → Access Allowed, ISOLATE → Quarantined, anything else → Access Denied. */
const accessCode = (r: Recommendation): number =>
  r === Recommendation.ALLOW ? 1 : r === Recommendation.ISOLATE ? 3 : 2;

/**
 * The PB-TNC server (RFC 5793): hands the client's PA messages to the IMVs and answers with their
 * messages (SDATA) until every IMV has a recommendation, then sends RESULT and waits for CLOSE.
 */
export class TnccsServer {
  private lastConnectionId = 0;

  constructor(
    private readonly imvs: ImvManager,
    private readonly opts: ServerOptions,
  ) {}

  async serve(channel: BatchChannel): Promise<FinalVerdict | undefined> {
    const id = ++this.lastConnectionId;
    const log = this.opts.log.with({ connection: id });
    log.info('TNC', `assigned TNCCS Connection ID ${id}`);
    const pb = new PbConnection('server', channel, id, log, TNCCS_PB_CODECS);
    const reassembly = connectionReassembly(this.opts.reassembly?.perConnection, this.opts.reassembly?.total);
    let conn: ConnectionInfo = {
      id,
      maxPaMessageSize: maxPaMessageSizeFor(channel.maxBatchSize),
      transport: channel.transport ?? 'pt-tls',
      language: 'en',
      peerIdentity: channel.peerIdentity,
      arIdentities: channel.arIdentities,
      log,
      reassembly,
    };
    let verdict: FinalVerdict | undefined;
    let created = false;
    await this.safely(id, () =>
      this.opts.recorder?.beginHandshake({
        connection: id,
        transport: conn.transport,
        identity: conn.peerIdentity,
        startedMs: Date.now(),
      }),
    );
    try {
      let first = true;
      while (pb.state !== 'End') {
        const batch = await pb.receive();
        if (batch.type === PB_BATCH.CLOSE) break;
        const language = batch.messages.find((m) => PbLanguagePreferenceMsg.is(m));
        if (language && PbLanguagePreferenceMsg.is(language)) {
          conn = { ...conn, language: language.value.split(',')[0].split(';')[0].trim() || 'en' };
          log.debug('TNC', `setting language preference to '${conn.language}'`);
        }
        if (!created) {
          await this.imvs.createConnection(conn);
          created = true;
        } else if (batch.type === PB_BATCH.CRETRY) {
          log.info('TNC', `client requested a handshake retry on Connection ID ${id}`);
          await this.imvs.restart(conn);
          verdict = undefined;
        }
        // RFC 5793 4.9: a fatal error ends the session; the server answers with CLOSE, not a result
        const fatal = batch.messages.find((m) => PbErrorMsg.is(m) && m.value.fatal);
        if (fatal) {
          log.error(
            'TNC',
            `the client reported a ${PbErrorMsg.spec.describe?.(fatal.value as never).join(' ')}: ending the session`,
          );
          await pb.send(PB_BATCH.CLOSE, []);
          break;
        }
        const paCount = await this.deliver(conn, batch.messages);
        await this.imvs.batchEnding(conn);
        if (!this.imvs.allDecided(id) && paCount === 0 && batch.type === PB_BATCH.CDATA) await this.imvs.solicit(conn);
        log.debug('TNC', 'TNC server is handling outbound connection');
        if (this.imvs.allDecided(id)) verdict = await this.sendResult(pb, conn);
        else await this.sendData(pb, conn, first);
        first = false;
      }
      if (verdict)
        log.info(
          'TNC',
          `final recommendation is '${recommendationName(verdict.recommendation)}' and evaluation is '${evaluationName(verdict.evaluation)}'`,
        );
      return verdict;
    } finally {
      await this.record(id, verdict);
      // the IMVs learnt a verdict when it was sent (sendResult); without one the outcome is None
      if (created) await this.imvs.endConnection(conn, verdict ? undefined : 'None');
      await channel.close();
      log.info('TNC', `removed TNCCS Connection ID ${id}`);
    }
  }

  private async record(id: number, verdict: FinalVerdict | undefined): Promise<void> {
    const imvs = this.imvs.verdictsOf(id).map((v) => ({
      imvId: v.imvId,
      imv: this.imvs.nameOf(v.imvId) ?? `IMV ${v.imvId}`,
      rec: v.rec,
      evaluation: v.evaluation,
      reason: v.reason,
    }));
    await this.safely(id, () =>
      this.opts.recorder?.endHandshake(id, {
        endedMs: Date.now(),
        rec: verdict?.recommendation,
        evaluation: verdict?.evaluation,
        reasons: verdict?.reasons ?? [],
        imvs,
      }),
    );
  }

  /** A record that cannot be written is logged; the handshake goes on. */
  private async safely(id: number, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.opts.log.error('TNC', `cannot record handshake of Connection ID ${id}: ${(e as Error).message}`);
    }
  }

  private async deliver(conn: ConnectionInfo, messages: PbMessage[]): Promise<number> {
    let n = 0;
    for (const m of messages) {
      if (PbErrorMsg.is(m)) conn.log.error('TNC', `received PB-TNC error: ${JSON.stringify(m.value)}`);
      if (!PbPaMsg.is(m)) continue;
      const env = envelopeFromPbPa(m.value);
      conn.log.debug('TNC', `handling PB-PA message type ${paSubtypeLabel(env.type)}`);
      n++;
      if ((await this.imvs.deliver(conn, env)) === 0)
        conn.log.info('TNC', `no IMV subscribed to PA message type ${paSubtypeLabel(env.type)}`);
    }
    return n;
  }

  private async sendData(pb: PbConnection, conn: ConnectionInfo, first: boolean): Promise<void> {
    const referral = first && this.opts.pdpReferral ? [this.opts.pdpReferral] : [];
    const messages: PbMessage[] = [...referral, ...this.takePa(pb, conn, referral)];
    if (messages.length === 0)
      conn.log.info('TNC', 'no recommendation available yet, sending empty PB-TNC SDATA batch');
    await pb.send(PB_BATCH.SDATA, messages);
  }

  /**
   * RESULT with the IMVs' last PA messages; when those do not all fit one batch beside the result
   * messages, an SDATA carries what fits and the RESULT waits for the client's next CDATA.
   */
  private async sendResult(pb: PbConnection, conn: ConnectionInfo): Promise<FinalVerdict | undefined> {
    const verdicts = this.imvs.verdictsOf(conn.id);
    const veto = this.opts.veto?.(conn.id);
    const merged = mergeVerdicts(this.opts.policy, verdicts);
    // a veto holds under every policy, 'any' included
    const { rec: recommendation, evaluation } = veto
      ? { rec: Recommendation.NO_ACCESS, evaluation: Evaluation.ERROR }
      : merged;
    const reasons = [...new Set([...verdicts.flatMap((v) => (v.reason ? [v.reason] : [])), ...(veto ? [veto] : [])])];
    const result: PbMessage[] = [
      PbAssessmentResultMsg.make(evaluation),
      PbAccessRecommendationMsg.make(accessCode(recommendation)),
      ...reasons.map((reason) => PbReasonStringMsg.make({ text: reason, language: conn.language })),
    ];
    if (this.opts.remediationUri && recommendation !== Recommendation.ALLOW) {
      result.push(PbRemediationParametersMsg.make({ kind: 'uri', uri: this.opts.remediationUri }));
    }
    const pa = this.takePa(pb, conn, result);
    if (this.imvs.hasOutgoing(conn.id)) {
      await pb.send(PB_BATCH.SDATA, pa);
      return undefined;
    }
    conn.log.info(
      'IMV',
      `policy: recommendation for access requestor ${requestorName(conn)}is ${recommendationName(recommendation)}`,
    );
    await this.opts.onRecommendation?.(conn, recommendation);
    await this.imvs.notifyResult(conn, connectionStateOf(recommendation));
    await pb.send(PB_BATCH.RESULT, [...pa, ...result]);
    return { connectionId: conn.id, recommendation, evaluation, reasons };
  }

  /** The IMVs' queued PA messages that fit one batch beside `others`. */
  private takePa(pb: PbConnection, conn: ConnectionInfo, others: PbMessage[]): PbMessage[] {
    const budget = pb.channel.maxBatchSize - PB_BATCH_HEADER_LEN - others.reduce((n, m) => n + pbMessageSize(m), 0);
    return this.imvs.takeOutgoing(conn.id, budget).map(pbPaFromEnvelope);
  }
}
