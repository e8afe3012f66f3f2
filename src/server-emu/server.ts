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
import { PbConnection } from '../tnccs/pb-connection';
import { envelopeFromPbPa, pbPaFromEnvelope } from '../tnccs/pb-pa';
import { BatchChannel, ConnectionInfo, Evaluation, evaluationName, maxPaMessageSizeFor, Recommendation, recommendationName } from '../tnccs/types';
import type { ImvManager } from './imv-manager';
import { mergeVerdicts, RecommendationPolicy } from './policy/merge';

export interface ServerOptions {
  /** strongSwan's "TNC recommendation policy": how the IMVs' verdicts combine. */
  policy: RecommendationPolicy;
  log: Logger;
  /** TCG PB-PDP-Referral sent in the first SDATA, when set. */
  pdpReferral?: PbMessage;
  /** Where a denied or isolated endpoint learns how to fix itself (RFC 5793 4.8 PB-Remediation-Parameters, URI). */
  remediationUri?: string;
}

export interface FinalVerdict {
  readonly connectionId: number;
  readonly recommendation: Recommendation;
  readonly evaluation: Evaluation;
  readonly reasons: string[];
}

/** RFC 5793 4.7 via IF-TNCCS: ALLOW → Access Allowed, ISOLATE → Quarantined, anything else → Access Denied. */
const accessCode = (r: Recommendation): number => (r === Recommendation.ALLOW ? 1 : r === Recommendation.ISOLATE ? 3 : 2);

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
    const pb = new PbConnection('server', channel, id, log);
    let conn: ConnectionInfo = { id, maxPaMessageSize: maxPaMessageSizeFor(channel.maxBatchSize), transport: channel.transport ?? 'pt-tls', language: 'en', peerIdentity: channel.peerIdentity, log };
    let verdict: FinalVerdict | undefined;
    let created = false;
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
        const paCount = await this.deliver(conn, batch.messages);
        await this.imvs.batchEnding(conn);
        if (!this.imvs.allDecided(id) && paCount === 0 && batch.type === PB_BATCH.CDATA) await this.imvs.solicit(id);
        if (this.imvs.allDecided(id)) verdict = await this.sendResult(pb, conn);
        else await this.sendData(pb, conn, first);
        first = false;
      }
      if (verdict) log.info('TNC', `final recommendation is '${recommendationName(verdict.recommendation)}' and evaluation is '${evaluationName(verdict.evaluation)}'`);
      return verdict;
    } finally {
      if (created) await this.imvs.endConnection(conn, !verdict ? 'None' : verdict.recommendation === Recommendation.ALLOW ? 'Allowed' : verdict.recommendation === Recommendation.ISOLATE ? 'Isolated' : 'None');
      await channel.close();
      log.info('TNC', `removed TNCCS Connection ID ${id}`);
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
      if ((await this.imvs.deliver(conn, env)) === 0) conn.log.info('TNC', `no IMV subscribed to PA message type ${paSubtypeLabel(env.type)}`);
    }
    return n;
  }

  private async sendData(pb: PbConnection, conn: ConnectionInfo, first: boolean): Promise<void> {
    const referral = first && this.opts.pdpReferral ? [this.opts.pdpReferral] : [];
    const messages: PbMessage[] = [...referral, ...this.takePa(pb, conn, referral)];
    if (messages.length === 0) conn.log.info('TNC', 'no recommendation available yet, sending empty PB-TNC SDATA batch');
    await pb.send(PB_BATCH.SDATA, messages);
  }

  /**
   * RESULT with the IMVs' last PA messages; when those do not all fit one batch beside the result
   * messages, an SDATA carries what fits and the RESULT waits for the client's next CDATA.
   */
  private async sendResult(pb: PbConnection, conn: ConnectionInfo): Promise<FinalVerdict | undefined> {
    const verdicts = this.imvs.verdictsOf(conn.id);
    const { rec: recommendation, evaluation } = mergeVerdicts(this.opts.policy, verdicts);
    const reasons = verdicts.flatMap((v) => (v.reason ? [v.reason] : []));
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
    conn.log.info('IMV', `policy: recommendation for access requestor is ${recommendationName(recommendation)}`);
    await pb.send(PB_BATCH.RESULT, [...pa, ...result]);
    return { connectionId: conn.id, recommendation, evaluation, reasons };
  }

  /** The IMVs' queued PA messages that fit one batch beside `others`. */
  private takePa(pb: PbConnection, conn: ConnectionInfo, others: PbMessage[]): PbMessage[] {
    const budget = pb.channel.maxBatchSize - PB_BATCH_HEADER_LEN - others.reduce((n, m) => n + pbMessageSize(m), 0);
    return this.imvs.takeOutgoing(conn.id, budget).map(pbPaFromEnvelope);
  }
}

