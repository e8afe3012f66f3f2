import { attributeSize, encodeAttribute, PA_ATTR_HEADER_LEN } from '../../message';
import { PaAttribute } from '../../registry';
import { Writer } from '../../../../bytes/cursor';
import {
  NextSegment,
  NextSegmentAttr,
  NO_LIMIT,
  SegmentationContract,
  SegmentEnvelope,
  SegmentEnvelopeAttr,
} from './attributes';

/** Envelope value header: flags(1) + base message ID(3). */
export const ENVELOPE_HEADER_LEN = 4;
/** Space a first envelope needs at the least: its attribute header, its own header, the inner header (TCG IF-M Segmentation 1.0; strongSwan's seg_env.c). */
export const MIN_FIRST_ENVELOPE_SPACE = PA_ATTR_HEADER_LEN + ENVELOPE_HEADER_LEN + PA_ATTR_HEADER_LEN;
const MAX_BASE_ID = 0xffffff;

export type SendPlan = 'whole' | 'segmented' | 'oversize';

/**
 * How an attribute of `size` bytes (header included) travels under the peer's contract, as
 * strongSwan decides it (seg_contract.c): too big for the max message size → oversize; value
 * longer than max segment size + 4 → segmented; else whole.
 */
export function sendPlan(c: SegmentationContract, size: number): SendPlan {
  if (c.maxMessageSize !== NO_LIMIT && size > c.maxMessageSize) return 'oversize';
  if (c.maxSegmentSize === NO_LIMIT || size - PA_ATTR_HEADER_LEN <= c.maxSegmentSize + ENVELOPE_HEADER_LEN)
    return 'whole';
  // the first segment must hold the inner 12-byte header and at least one value byte
  return c.maxSegmentSize > PA_ATTR_HEADER_LEN ? 'segmented' : 'oversize';
}

/**
 * Splits an encoded attribute (12-byte header with the full length, then the value) into
 * envelopes: the first carries `firstSize` bytes (header + first value bytes, flags S|M), each
 * following one up to `maxSegmentSize` raw value bytes, M set on all but the last.
 */
export function splitAttribute(
  encoded: Buffer,
  baseMessageId: number,
  maxSegmentSize: number,
  firstSize = maxSegmentSize,
): SegmentEnvelope[] {
  if (firstSize <= PA_ATTR_HEADER_LEN || maxSegmentSize < 1)
    throw new RangeError(`segment sizes ${firstSize}/${maxSegmentSize} cannot carry the attribute header`);
  const out: SegmentEnvelope[] = [];
  for (let at = 0, size = firstSize; at < encoded.length; at += size, size = maxSegmentSize) {
    const data = encoded.subarray(at, at + size);
    out.push({ start: at === 0, more: at + size < encoded.length, baseMessageId, data });
  }
  return out;
}

/**
 * Sender side of one contract (one PA message type, direction and peer): hands out the first
 * envelope of an attribute and then one envelope per Next Segment the peer asks for.
 * Base message IDs count from 1 per contract.
 */
export class SegmentSender {
  private nextBaseId = 1;
  private readonly pending = new Map<number, { noskip: boolean; queue: SegmentEnvelope[] }>();

  constructor(readonly contract: SegmentationContract) {}

  plan(attr: PaAttribute): SendPlan {
    return sendPlan(this.contract, attributeSize(attr));
  }

  /**
   * The first envelope of `attr` (whose plan is 'segmented'). `spaceLeft` = bytes still free in
   * the PA-TNC message being built; at least MIN_FIRST_ENVELOPE_SPACE, else start a new message.
   */
  first(attr: PaAttribute, spaceLeft = NO_LIMIT): PaAttribute<SegmentEnvelope> {
    if (spaceLeft < MIN_FIRST_ENVELOPE_SPACE)
      throw new RangeError(`${spaceLeft} bytes left: put the first envelope into the next message`);
    const w = new Writer(1024);
    encodeAttribute(w, attr);
    const firstSize = Math.min(this.contract.maxSegmentSize, spaceLeft - PA_ATTR_HEADER_LEN - ENVELOPE_HEADER_LEN);
    const baseId = this.takeBaseId();
    const [head, ...rest] = splitAttribute(w.finish(), baseId, this.contract.maxSegmentSize, firstSize);
    if (rest.length > 0) this.pending.set(baseId, { noskip: attr.noskip, queue: rest });
    return SegmentEnvelopeAttr.make(head, attr.noskip);
  }

  /** The envelope answering a Next Segment; undefined for a cancel or an unknown base ID. */
  next(req: NextSegment): PaAttribute<SegmentEnvelope> | undefined {
    const p = this.pending.get(req.baseMessageId);
    if (!p) return undefined;
    const env = req.cancel ? undefined : p.queue.shift();
    if (req.cancel || p.queue.length === 0) this.pending.delete(req.baseMessageId);
    return env && SegmentEnvelopeAttr.make(env, p.noskip);
  }

  /** Drops an exchange the peer cancelled (Cancel Segment Exchange). */
  cancel(baseMessageId: number): void {
    this.pending.delete(baseMessageId);
  }

  /** Base message IDs with segments still to send. */
  get inProgress(): number[] {
    return [...this.pending.keys()];
  }

  private takeBaseId(): number {
    const id = this.nextBaseId;
    this.nextBaseId = id >= MAX_BASE_ID ? 1 : id + 1;
    return id;
  }
}

/** Asks the sender for the next segment of `baseMessageId` (or cancels it). */
export function nextSegmentRequest(baseMessageId: number, cancel = false): PaAttribute<NextSegment> {
  return NextSegmentAttr.make({ baseMessageId, cancel }, true);
}
