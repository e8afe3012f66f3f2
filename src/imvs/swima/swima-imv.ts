import { Agent, AgentState } from '../../imcv/agent';
import { SWIMA_CODECS } from '../../imcv/codecs/swima';
import type { PaPort, ReceivedPa } from '../../imcv/pa-port';
import { ASSESSMENT_RESULT, AssessmentResultAttr } from '../../protocol/pa-tnc/ietf/assessment';
import { IETF_ERROR, PaTncError, PaTncErrorAttr, paTncErrorName } from '../../protocol/pa-tnc/ietf/pa-tnc-error';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import {
  SourceMetadataRequestAttr,
  SourceMetadataResponseAttr,
  SubscriptionStatusRequestAttr,
  SubscriptionStatusResponseAttr,
  SwEvents,
  SwEventsAttr,
  SwIdEventsAttr,
  SwIdInventoryAttr,
  SwimaRequestAttr,
  SwInventory,
  SwInventoryAttr,
} from '../../protocol/pa-tnc/swima';
import { PA_SUBTYPE, VENDOR } from '../../protocol/vendors';
import { ConnectionInfo, Evaluation, ImvHost, Recommendation, recommendationName } from '../../tnccs/types';
import { workitemRecommendation } from '../../policy/merge';
import type { Workitem } from '../../policy/manager';
import type { SwimaPolicy } from '../../policy/swima';
import { WorkitemType } from '../../policy/workitem-types';
import type { SessionManager } from '../sessions';

interface SwimaImvState extends AgentState {
  /** The SWIDT workitem being served (strongSwan serves one per session). */
  workitem?: Workitem;
  /** The epoch changed under us once already: the inventory has been asked for. */
  restarted: boolean;
  decided: boolean;
}

const hex32 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * The SWIMA IMV: serves the SWIDT workitem. It asks for the events since the last EID stored for the
 * device, or for the whole inventory on first contact or after the endpoint's EID epoch changed;
 * stores what arrives in the policy database and judges it against the package blocklist.
 */
export class SwimaImv extends Agent<SwimaImvState, ImvHost> {
  readonly name = 'SWIMA';
  readonly subscriptions = [PA_SUBTYPE.SWIMA];
  readonly codecs = SWIMA_CODECS;
  protected readonly role = 'IMV' as const;

  constructor(
    private readonly sessions: SessionManager,
    private readonly policy: SwimaPolicy,
  ) {
    super();
  }

  protected createState(conn: ConnectionInfo, port: PaPort): SwimaImvState {
    return { conn, port, restarted: false, decided: false };
  }

  /** Starts the workitem once the OS IMV has started the session (it runs first in the batch). */
  protected override async batchEnded(state: SwimaImvState): Promise<void> {
    const session = this.sessions.get(state.conn.id);
    if (state.workitem || state.decided || session.sessionId === undefined) return;
    const [w] = this.sessions.pending(state.conn.id, [WorkitemType.SWIDT]);
    if (!w) {
      state.conn.log.info('IMV', `IMV ${this.id} has no workitems - no evaluation requested`);
      this.decide(state, Recommendation.ALLOW, Evaluation.DONT_KNOW);
      return;
    }
    state.workitem = w;
    state.conn.log.info('IMV', `IMV ${this.id} handles SWIDT workitem ${w.id}`);
    if (w.argStr.includes('S')) state.conn.log.info('IMV', `SWIMA subscription ${w.id} requested`);
    // a started session has its (frozen) Device ID
    const known = session.deviceId === undefined ? undefined : await this.policy.state(session.deviceId);
    // seed: the first SWIMA message carries a segmentation contract request before the SWIMA Request
    const contract = state.port.contractRequest(PA_SUBTYPE.SWIMA);
    state.port.send(PA_SUBTYPE.SWIMA, [
      contract,
      this.request(state, known ? known.lastEid + 1 : 0),
      ...this.queries(state),
    ]);
  }

  /** strongSwan's imv_swima_agent.c (RFC 8412 5.7 SWIMA Request flags): argument letters R (IDs only), S (subscribe), C (clear); Request ID = workitem ID. */
  private request(state: SwimaImvState, earliestEid: number): PaAttribute {
    const w = state.workitem!;
    state.conn.log.info('IMV', `IMV ${this.id} issues sw request ${w.id} with earliest eid ${earliestEid}`);
    return SwimaRequestAttr.make({
      clearSubscriptions: w.argStr.includes('C'),
      subscribe: w.argStr.includes('S'),
      idsOnly: w.argStr.includes('R'),
      requestId: w.id,
      earliestEid,
      softwareIds: [],
    });
  }

  /**
   * Our own argument letters (strongSwan has none for these): Q asks for the subscription status
   * (RFC 8412 5.11, after the request so that it reports a subscription just made), M for the
   * source metadata (5.13).
   */
  private queries(state: SwimaImvState): PaAttribute[] {
    const args = state.workitem!.argStr;
    const out: PaAttribute[] = [];
    if (args.includes('Q')) {
      state.conn.log.info('IMV', `IMV ${this.id} requests SWIMA subscription status`);
      out.push(SubscriptionStatusRequestAttr.make(null));
    }
    if (args.includes('M')) {
      state.conn.log.info('IMV', `IMV ${this.id} requests SWIMA source metadata`);
      out.push(SourceMetadataRequestAttr.make(null));
    }
    return out;
  }

  protected async handle(state: SwimaImvState, msg: ReceivedPa): Promise<void> {
    for (const a of msg.attributes) {
      if (PaTncErrorAttr.is(a)) this.error(state, a.value);
      else if (SwIdInventoryAttr.is(a) || SwInventoryAttr.is(a))
        await this.inventory(state, a.value, SwInventoryAttr.is(a));
      else if (SwIdEventsAttr.is(a) || SwEventsAttr.is(a)) await this.events(state, a.value, SwEventsAttr.is(a));
      else if (SubscriptionStatusResponseAttr.is(a) || SourceMetadataResponseAttr.is(a)) this.report(state, a);
    }
  }

  /** Subscription status and source metadata are logged, one line per subscription or source. */
  private report(state: SwimaImvState, a: PaAttribute): void {
    const [first, ...rest] = a.spec!.describe!(a.value);
    state.conn.log.info('IMV', `received ${first}`);
    for (const line of rest) state.conn.log.info('IMV', line);
  }

  private error(state: SwimaImvState, e: PaTncError): void {
    const log = state.conn.log;
    if (e.vendor !== VENDOR.IETF || (e.info.kind !== 'swima' && e.info.kind !== 'swima-response-too-large')) {
      log.info('IMV', `received PA-TNC error '${paTncErrorName(e.vendor, e.code)}'`);
      return;
    }
    log.info('IMV', `received PA-TNC error '${paTncErrorName(e.vendor, e.code)}' for request ${e.info.requestId}`);
    log.info('IMV', `  description: ${e.info.description}`);
    if (e.code === IETF_ERROR.SWIMA_SUBSCRIPTION_DENIED)
      log.info('IMV', `SWIMA subscription ${e.info.requestId} cleared`);
    if (e.info.kind === 'swima-response-too-large' && state.workitem?.id === e.info.requestId) {
      this.finish(state, Evaluation.ERROR, `response larger than the ${e.info.maxAllowedSize} bytes allowed`);
    }
  }

  private async inventory(state: SwimaImvState, v: SwInventory, full: boolean): Promise<void> {
    const describe = (full ? SwInventoryAttr : SwIdInventoryAttr).spec.describe!(v)[0];
    state.conn.log.info('IMV', `received ${describe}, 0 items to follow`);
    const device = this.sessions.get(state.conn.id).deviceId;
    if (!device) return;
    await this.policy.replaceInventory(
      device,
      { epoch: v.eidEpoch, lastEid: v.lastEid },
      v.records.map((r) => ({ swId: r.softwareId, source: r.sourceId })),
    );
    const n = v.records.length;
    await this.finishIfMine(
      state,
      v.requestId,
      v.subscriptionFulfillment,
      full ? `received ${n} SWID tags` : `received inventory of ${n} SW IDs and 0 SWID tags`,
    );
  }

  private async events(state: SwimaImvState, v: SwEvents, full: boolean): Promise<void> {
    const describe = (full ? SwEventsAttr : SwIdEventsAttr).spec.describe!(v)[0];
    const log = state.conn.log;
    log.info('IMV', `received ${describe}, 0 items to follow`);
    const device = this.sessions.get(state.conn.id).deviceId;
    if (!device) return;
    const known = await this.policy.state(device);
    if (known?.epoch !== v.eidEpoch) {
      // RFC 8412 3.7.4: a new epoch voids every EID we hold: start over with the whole inventory
      log.info(
        'IMV',
        `EID epoch changed from ${known ? hex32(known.epoch) : 'none'} to ${hex32(v.eidEpoch)}, requesting the whole inventory`,
      );
      if (!state.restarted && state.workitem && !v.subscriptionFulfillment) {
        state.restarted = true;
        state.port.send(PA_SUBTYPE.SWIMA, [this.request(state, 0)]);
      }
      return;
    }
    const events = v.events.map((e) => ({
      eid: e.eid,
      timestamp: e.timestamp,
      action: e.action,
      swId: e.record.softwareId,
      source: e.record.sourceId,
    }));
    await this.policy.applyEvents(device, { epoch: v.eidEpoch, lastEid: Math.max(v.lastEid, known.lastEid) }, events);
    const tags = full ? v.events.length : 0;
    await this.finishIfMine(
      state,
      v.requestId,
      v.subscriptionFulfillment,
      `received ${v.events.length} SW ID events and ${tags} SWID tags`,
    );
  }

  private async finishIfMine(
    state: SwimaImvState,
    requestId: number,
    fulfilment: boolean,
    text: string,
  ): Promise<void> {
    if (fulfilment || state.workitem?.id !== requestId || state.workitem.recFinal !== null || state.decided) return;
    const device = this.sessions.get(state.conn.id).deviceId;
    const blocked = device === undefined ? [] : await this.policy.blocklisted(device);
    if (blocked.length > 0)
      this.finish(
        state,
        Evaluation.NONCOMPLIANT_MAJOR,
        `${text}, ${blocked.length} blocklisted: ${blocked.join(', ')}`,
      );
    else this.finish(state, Evaluation.COMPLIANT, text);
  }

  private finish(state: SwimaImvState, evaluation: Evaluation, text: string): void {
    const w = state.workitem!;
    const rec = workitemRecommendation(evaluation, w.recFail, w.recNoResult);
    this.sessions.finish(state.conn.id, w, rec, text);
    state.conn.log.info('IMV', `IMV ${this.id} handled SWIDT workitem ${w.id}: ${recommendationName(rec)} - ${text}`);
    this.decide(state, rec, evaluation);
  }

  private decide(state: SwimaImvState, rec: Recommendation, evaluation: Evaluation): void {
    state.decided = true;
    state.port.send(PA_SUBTYPE.SWIMA, [AssessmentResultAttr.make(ASSESSMENT_RESULT[evaluation])]);
    this.host.provideRecommendation(state.conn.id, this.id, rec, evaluation);
  }

  solicitRecommendation(connectionId: number): void {
    const state = this.state(connectionId);
    if (state && !state.decided) this.decide(state, Recommendation.NO_RECOMMENDATION, Evaluation.DONT_KNOW);
  }
}
