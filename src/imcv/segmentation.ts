import type { Logger } from '../log';
import type { PaAttribute, PaCodecs } from '../protocol/pa-tnc/registry';
import {
  CancelSegmentExchangeAttr,
  ContractRequestAttr,
  ContractResponseAttr,
  describeContract,
  NextSegmentAttr,
  NO_LIMIT,
  Reassembler,
  NextSegment,
  SegmentationContract,
  SegmentEnvelope,
  SegmentEnvelopeAttr,
  SegmentSender,
  sendPlan,
} from '../protocol/pa-tnc/tcg/seg';
import { isDecodeError } from '../bytes/errors';
import { paTncErrorFor } from '../protocol/pa-tnc/errors';
import type { Subsystem } from '../log';
import { PaMessageType, paSubtypeLabel } from '../protocol/vendors';
import type { HeldBytes } from '../protocol/pa-tnc/tcg/seg/reassembler';
import { REASSEMBLY_LIMITS } from './reassembly-budget';

/**
 * Hard cap on a reassembled attribute, whatever a contract says: we announce "no message size
 * limit" as strongSwan does, but never hold more than this for one attribute.
 */
export const MAX_REASSEMBLED = REASSEMBLY_LIMITS.perAttribute;

/** TCG IF-M Segmentation per strongSwan: max segment = max PA-TNC message − 8 − 12 − 4. */
export const ownSegmentSize = (maxPaMessageSize: number): number => maxPaMessageSize - 24;

/** What segmentation control made of one received message. */
export interface SegmentationResult {
  /** Attributes for the IMC/IMV: the ordinary ones and any reassembled whole. */
  attributes: PaAttribute[];
  /** Control attributes to send back (Contract Response, Next Segment, next envelope). */
  replies: PaAttribute[];
}

/**
 * The segmentation contracts of one IMC/IMV on one connection, one per PA message type
 * (TCG IF-M Segmentation 1.0; strongSwan's seg_contract.c): answers contract requests, keeps the negotiated segment size, splits
 * attributes too long for it, and reassembles envelopes under a hard size cap.
 */
export class Segmentation {
  private readonly contracts = new Map<string, SegmentationContract>();
  private readonly senders = new Map<string, SegmentSender>();
  private readonly reassemblers = new Map<string, Reassembler>();

  private readonly tag: Subsystem;

  constructor(
    /** "IMV 2" / "IMC 1", as the log lines name the owner. */
    private readonly label: string,
    private readonly peerRole: 'IMC' | 'IMV',
    private readonly maxPaMessageSize: number,
    private readonly log: Logger,
    /** What a reassembled attribute is decoded with: the owner's codecs. */
    private readonly codecs: PaCodecs,
    /** The connection's bound on unfinished exchanges (shared by all its IMCs/IMVs). */
    private readonly held?: HeldBytes,
  ) {
    this.tag = peerRole === 'IMC' ? 'IMV' : 'IMC';
  }

  /** The Contract Request to send: the limits we can receive. */
  request(type: PaMessageType): PaAttribute {
    const c = { maxMessageSize: NO_LIMIT, maxSegmentSize: ownSegmentSize(this.maxPaMessageSize) };
    this.setContract(type, c);
    this.log.info(
      this.tag,
      `${this.label} requests a segmentation contract for PA message type ${paSubtypeLabel(type)}`,
    );
    this.log.info(this.tag, `  ${describeContract(c)}`);
    return ContractRequestAttr.make(c, true);
  }

  /** Splits received attributes into control (handled here) and the rest (for the IMC/IMV). */
  receive(type: PaMessageType, peerId: number, attrs: PaAttribute[]): SegmentationResult {
    const out: SegmentationResult = { attributes: [], replies: [] };
    for (const a of attrs) {
      if (ContractRequestAttr.is(a)) out.replies.push(this.answerRequest(type, peerId, a.value));
      else if (ContractResponseAttr.is(a)) this.accept(type, peerId, a.value);
      else if (SegmentEnvelopeAttr.is(a)) this.reassemble(type, a, out);
      else if (NextSegmentAttr.is(a)) this.sendNext(type, a, out);
      else if (CancelSegmentExchangeAttr.is(a)) this.senders.get(key(type))?.cancel(a.value.baseMessageId);
      else out.attributes.push(a);
    }
    return out;
  }

  /** The attribute itself (of `size` bytes, header included), or its first envelope when the contract wants it segmented. */
  outgoing(type: PaMessageType, attr: PaAttribute, size: number, spaceLeft: number): PaAttribute | undefined {
    const contract = this.contracts.get(key(type));
    if (!contract) return attr;
    const plan = sendPlan(contract, size);
    if (plan === 'whole') return attr;
    if (plan === 'oversize') {
      this.log.error(
        'TNC',
        `attribute of ${attr.vendor}/${attr.type} exceeds the segmentation contract for ${paSubtypeLabel(type)}: not sent`,
      );
      return undefined;
    }
    return this.sender(type, contract).first(attr, spaceLeft);
  }

  private answerRequest(type: PaMessageType, peerId: number, req: SegmentationContract): PaAttribute {
    const own = ownSegmentSize(this.maxPaMessageSize);
    const c = { maxMessageSize: req.maxMessageSize, maxSegmentSize: Math.min(req.maxSegmentSize, own) };
    this.setContract(type, c);
    this.log.info(
      this.tag,
      `${this.label} received a segmentation contract request from ${this.peerRole} ${peerId} for PA message type ${paSubtypeLabel(type)}`,
    );
    this.log.info(this.tag, `  ${describeContract(c)}`);
    return ContractResponseAttr.make(c, true);
  }

  private accept(type: PaMessageType, peerId: number, resp: SegmentationContract): void {
    const current = this.contracts.get(key(type));
    const c = {
      maxMessageSize: resp.maxMessageSize,
      maxSegmentSize: Math.min(resp.maxSegmentSize, current?.maxSegmentSize ?? NO_LIMIT),
    };
    this.setContract(type, c);
    this.log.info(
      this.tag,
      `${this.label} received a segmentation contract response from ${this.peerRole} ${peerId} for PA message type ${paSubtypeLabel(type)}`,
    );
    this.log.info(this.tag, `  ${describeContract(c)}`);
  }

  private reassemble(type: PaMessageType, a: PaAttribute<SegmentEnvelope>, out: SegmentationResult): void {
    const k = key(type);
    let r = this.reassemblers.get(k);
    if (!r) {
      const limit = this.contracts.get(k)?.maxMessageSize ?? NO_LIMIT;
      r = new Reassembler(
        this.codecs,
        limit === NO_LIMIT ? MAX_REASSEMBLED : Math.min(limit, MAX_REASSEMBLED),
        this.held,
        REASSEMBLY_LIMITS.openExchanges,
      );
      this.reassemblers.set(k, r);
    }
    let step;
    try {
      step = r.add(a.value);
    } catch (e) {
      if (!isDecodeError(e)) throw e;
      this.log.error(this.tag, `segmented attribute ${a.value.baseMessageId} refused: ${e.message}`);
      out.replies.push(paTncErrorFor(e, { kind: 'segmented', baseMessageId: a.value.baseMessageId }));
      return;
    }
    if (step.kind === 'more') out.replies.push(step.request);
    else if (step.kind === 'complete') out.attributes.push(step.attribute);
    else this.log.debug('TNC', `segment ignored: ${step.reason}`);
  }

  /** The connection ended: unfinished exchanges give their bytes back. */
  close(): void {
    for (const r of this.reassemblers.values()) r.close();
    this.reassemblers.clear();
  }

  private sendNext(type: PaMessageType, a: PaAttribute<NextSegment>, out: SegmentationResult): void {
    const env = this.senders.get(key(type))?.next(a.value);
    if (env) out.replies.push(env);
  }

  private setContract(type: PaMessageType, c: SegmentationContract): void {
    this.contracts.set(key(type), c);
    // a sender keeps the contract it started with until its segments are out
    if (!this.senders.get(key(type))?.inProgress.length) this.senders.delete(key(type));
  }

  private sender(type: PaMessageType, c: SegmentationContract): SegmentSender {
    let s = this.senders.get(key(type));
    if (!s) {
      s = new SegmentSender(c);
      this.senders.set(key(type), s);
    }
    return s;
  }
}

const key = (t: PaMessageType): string => `${t.vendor}/${t.subtype}`;
