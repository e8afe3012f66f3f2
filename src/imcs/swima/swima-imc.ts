import { Agent, AgentState } from '../../imcv/agent';
import { SWIMA_CODECS } from '../../imcv/codecs/swima';
import type { PaPort, ReceivedPa } from '../../imcv/pa-port';
import { swimaError } from '../../protocol/pa-tnc/errors';
import { IETF_ERROR, PaTncErrorAttr } from '../../protocol/pa-tnc/ietf/pa-tnc-error';
import { AssessmentResultAttr } from '../../protocol/pa-tnc/ietf/assessment';
import { attributeSize, PA_MSG_HEADER_LEN } from '../../protocol/pa-tnc/message';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import {
  describeSwimaRequest,
  SourceMetadataRequestAttr,
  SourceMetadataResponseAttr,
  SubscriptionStatusRequestAttr,
  SubscriptionStatusResponseAttr,
  SwimaRequest,
  SwimaRequestAttr,
} from '../../protocol/pa-tnc/swima';
import { MAX_REASSEMBLED } from '../../imcv/segmentation';
import { PA_SUBTYPE, VENDOR } from '../../protocol/vendors';
import type { ConnectionInfo, TnccsHost } from '../../tnccs/types';
import type { SwCollector } from './collector';
import { DEFAULT_TAG_CREATOR, SwOs, TagCreator } from './sw-id';
import { SOURCE_DPKG, swimaResponse, TagSource } from './responses';
import type { SwimaStore } from './store';

export interface SwimaImcOptions {
  readonly store: SwimaStore;
  /** Run one collection pass before each handshake (when no live watcher keeps the store current). */
  readonly collector?: SwCollector;
  readonly os: SwOs;
  readonly creator?: TagCreator;
  /** strongSwan `imc-swima.subscriptions`: off by default, then requests for one are denied. */
  readonly subscriptions?: boolean;
  /**
   * RFC 8412 5.15.2: the largest SWIMA attribute this IMC is willing to send; a larger answer becomes
   * "SWIMA Response Too Large". Default: what the peer can take (the PA-TNC message without a
   * segmentation contract, else the reassembly cap of our IMVs).
   */
  readonly maxResponseSize?: number;
}

interface Subscription {
  readonly peerId: number;
  readonly request: SwimaRequest;
  /** Events subscriptions: the next EID to deliver. */
  nextEid: number;
}

interface SwimaImcState extends AgentState {
  /** RFC 8412 3.7.5: by Subscription ID (= the Request ID that established it). */
  readonly subscriptions: Map<number, Subscription>;
  /** A segmentation contract was requested: the port segments what is longer than a PA-TNC message. */
  segmented: boolean;
}

/**
 * The SWIMA IMC (RFC 8412 posture collector): answers every SWIMA Request from the event store,
 * keeps subscriptions when enabled (else "SWIMA Subscription Denied") and fulfils them when the
 * collector records new events while the connection lasts.
 */
export class SwimaImc extends Agent<SwimaImcState, TnccsHost> {
  readonly name = 'SWIMA';
  readonly subscriptions = [PA_SUBTYPE.SWIMA];
  readonly codecs = SWIMA_CODECS;
  protected readonly role = 'IMC' as const;
  private readonly live = new Set<SwimaImcState>();
  private readonly tags: TagSource;

  constructor(private readonly o: SwimaImcOptions) {
    super();
    this.tags = { os: o.os, creator: o.creator ?? DEFAULT_TAG_CREATOR };
  }

  protected createState(conn: ConnectionInfo, port: PaPort): SwimaImcState {
    const state = { conn, port, subscriptions: new Map<number, Subscription>(), segmented: false };
    this.live.add(state);
    return state;
  }

  protected override deleted(state: SwimaImcState): void {
    this.live.delete(state);
  }

  /** The first message, as strongSwan's: a segmentation contract request for SWIMA (seed, vectors). */
  async beginHandshake(connectionId: number): Promise<void> {
    const state = this.state(connectionId);
    if (!state) return;
    if (this.o.collector) {
      const n = await this.o.collector.collect();
      if (n > 0) state.conn.log.info('IMC', `collected ${n} SW ID events, last eid ${this.o.store.lastEid()}`);
    }
    state.port.requestContract(PA_SUBTYPE.SWIMA);
    state.segmented = true;
  }

  protected handle(state: SwimaImcState, msg: ReceivedPa): void {
    const out: PaAttribute[] = [];
    for (const a of msg.attributes) {
      if (SwimaRequestAttr.is(a)) out.push(...this.answer(state, msg.peerId, a.value));
      else if (SubscriptionStatusRequestAttr.is(a)) out.push(this.status(state, msg.peerId));
      else if (SourceMetadataRequestAttr.is(a)) out.push(this.sources(state));
      else if (AssessmentResultAttr.is(a)) state.conn.log.info('IMC', `assessment result is '${a.value}'`);
    }
    if (out.length > 0) state.port.send(PA_SUBTYPE.SWIMA, out, { peerId: msg.peerId });
  }

  private answer(state: SwimaImcState, peerId: number, req: SwimaRequest): PaAttribute[] {
    const log = state.conn.log;
    log.info('IMC', `IMC ${this.id} received ${describeSwimaRequest(req)}`);
    const out: PaAttribute[] = [];
    if (req.clearSubscriptions) this.clear(state, peerId);
    if (req.subscribe) {
      const denied = this.subscribe(state, peerId, req);
      if (denied) out.push(denied);
    }
    const response = swimaResponse(this.o.store, this.tags, { request: req });
    out.push(this.fitting(state, req.requestId, response));
    return out;
  }

  /** RFC 8412 5.12: the establishing requests of the requester's active subscriptions. */
  private status(state: SwimaImcState, peerId: number): PaAttribute {
    const subscriptions = [...state.subscriptions.values()].filter((s) => s.peerId === peerId).map((s) => s.request);
    state.conn.log.info(
      'IMC',
      `IMC ${this.id} reports ${subscriptions.length} active SWIMA subscriptions to IMV ${peerId}`,
    );
    return SubscriptionStatusResponseAttr.make({ subscriptions });
  }

  /** RFC 8412 5.14: our one source, the dpkg collector (source ID 1 in every record we send). */
  private sources(state: SwimaImcState): PaAttribute {
    const metadata = this.o.collector?.description ?? 'dpkg status database, collected live by the tnc-agent daemon';
    state.conn.log.info('IMC', `IMC ${this.id} describes SWIMA source ${SOURCE_DPKG}: ${metadata}`);
    return SourceMetadataResponseAttr.make([{ sourceId: SOURCE_DPKG, metadata }]);
  }

  /** The largest answer we send: see SwimaImcOptions.maxResponseSize. */
  private maxResponse(state: SwimaImcState): number {
    const peer = state.segmented ? MAX_REASSEMBLED : state.conn.maxPaMessageSize - PA_MSG_HEADER_LEN;
    return Math.min(peer, this.o.maxResponseSize ?? peer);
  }

  /** RFC 8412 5.15.2: an answer larger than we may send becomes "SWIMA Response Too Large" with the maximum. */
  private fitting(state: SwimaImcState, requestId: number, response: PaAttribute): PaAttribute {
    const max = this.maxResponse(state);
    const size = attributeSize(response);
    if (size <= max) return response;
    state.conn.log.info(
      'IMC',
      `SWIMA response of ${size} bytes for request ${requestId} exceeds the maximum of ${max} bytes`,
    );
    return PaTncErrorAttr.make({
      vendor: VENDOR.IETF,
      code: IETF_ERROR.SWIMA_RESPONSE_TOO_LARGE,
      info: {
        kind: 'swima-response-too-large',
        requestId,
        maxAllowedSize: max,
        description: `response of ${size} bytes is too large`,
      },
    });
  }

  private clear(state: SwimaImcState, peerId: number): void {
    for (const [id, s] of state.subscriptions) {
      if (s.peerId !== peerId) continue;
      state.subscriptions.delete(id);
      state.conn.log.info('IMC', `SWIMA subscription ${id} cleared`);
    }
  }

  /** Establishes a subscription; returns the PA-TNC error when it is refused. */
  private subscribe(state: SwimaImcState, peerId: number, req: SwimaRequest): PaAttribute | undefined {
    // strongSwan's imc_swima.c honours subscriptions only with imc-swima.subscriptions = yes
    if (!this.o.subscriptions)
      return swimaError(IETF_ERROR.SWIMA_SUBSCRIPTION_DENIED, req.requestId, 'subscriptions not enabled');
    if (state.subscriptions.has(req.requestId))
      return swimaError(IETF_ERROR.SWIMA_SUBSCRIPTION_ID_REUSE, req.requestId, 'subscription ID already in use');
    state.subscriptions.set(req.requestId, { peerId, request: req, nextEid: this.o.store.lastEid() + 1 });
    state.conn.log.info('IMC', `SWIMA subscription ${req.requestId} established`);
    return undefined;
  }

  /**
   * New events were recorded: each subscription of each open connection gets what it asked for
   * (the inventory, or the events it has not seen), flagged as a subscription fulfilment (RFC 8412 3.7.5).
   */
  notifyNewEvents(): void {
    for (const state of this.live) {
      for (const [id, s] of state.subscriptions) {
        const response = swimaResponse(this.o.store, this.tags, {
          request: s.request,
          subscriptionId: id,
          earliestEid: s.nextEid,
        });
        s.nextEid = this.o.store.lastEid() + 1;
        state.port.send(PA_SUBTYPE.SWIMA, [this.fitting(state, id, response)], { peerId: s.peerId });
      }
    }
  }
}
