import { DecodeError } from '../../../errors';
import { decodePaMessage, PA_ATTR_HEADER_LEN, PA_MSG_HEADER_LEN, PA_TNC_VERSION } from '../../message';
import { PaAttribute } from '../../registry';
import { NextSegment, NO_LIMIT, SegmentEnvelope } from './attributes';
import { nextSegmentRequest } from './segmenter';

export type ReassemblyStep =
  /** More segments follow: send `request` (Next Segment) to the peer. */
  | { kind: 'more'; baseMessageId: number; request: PaAttribute<NextSegment> }
  /** The whole attribute, decoded through the registry as if it had arrived in one piece. */
  | { kind: 'complete'; baseMessageId: number; attribute: PaAttribute }
  /** Nothing to do: a duplicate start, or a segment of an exchange we do not know. */
  | { kind: 'ignored'; baseMessageId: number; reason: string };

interface Pending {
  declared: number;
  received: number;
  chunks: Buffer[];
}

const LENGTH_FIELD = 8;

/**
 * Receiver side of one contract: collects envelopes until the last one and refuses any
 * attribute whose declared length exceeds the contract's max message size before holding
 * more of it. Errors are DecodeErrors whose offsets are relative to the reassembled attribute
 * (answer them with a PA-TNC Error about the segmented base message ID).
 */
export class Reassembler {
  private readonly open = new Map<number, Pending>();

  constructor(readonly maxMessageSize: number) {}

  add(env: SegmentEnvelope): ReassemblyStep {
    const id = env.baseMessageId;
    if (env.start) {
      // protocols.md 4: a duplicate start for a base ID in progress is ignored
      if (this.open.has(id)) return { kind: 'ignored', baseMessageId: id, reason: 'duplicate first segment' };
      this.open.set(id, { declared: this.declaredLength(env.data), received: 0, chunks: [] });
    }
    const p = this.open.get(id);
    if (!p) return { kind: 'ignored', baseMessageId: id, reason: 'no segment exchange with this base message ID' };
    if (p.received + env.data.length > p.declared) {
      this.open.delete(id);
      throw new DecodeError('overrun', 'segmented attribute', p.received, `segments exceed the declared length ${p.declared}`);
    }
    p.chunks.push(env.data);
    p.received += env.data.length;
    if (env.more) return { kind: 'more', baseMessageId: id, request: nextSegmentRequest(id) };
    this.open.delete(id);
    if (p.received !== p.declared) throw new DecodeError('truncated', 'segmented attribute', p.received, `${p.received} of ${p.declared} bytes arrived`);
    return { kind: 'complete', baseMessageId: id, attribute: decodeWhole(p.chunks) };
  }

  /** Gives up on an exchange; returns the Next Segment with C set to tell the sender. */
  cancel(baseMessageId: number): PaAttribute<NextSegment> | undefined {
    return this.open.delete(baseMessageId) ? nextSegmentRequest(baseMessageId, true) : undefined;
  }

  get inProgress(): number[] {
    return [...this.open.keys()];
  }

  private declaredLength(first: Buffer): number {
    if (first.length < PA_ATTR_HEADER_LEN) throw new DecodeError('truncated', 'segmented attribute header', first.length, 'first segment shorter than an attribute header');
    const declared = first.readUInt32BE(LENGTH_FIELD);
    // RFC 5792 4.2: the length includes the 12-byte header
    if (declared < PA_ATTR_HEADER_LEN) throw new DecodeError('invalid', 'segmented attribute length', LENGTH_FIELD, `length ${declared} below the header size`);
    if (this.maxMessageSize !== NO_LIMIT && declared > this.maxMessageSize) {
      throw new DecodeError('limit', 'segmented attribute length', LENGTH_FIELD, `length ${declared} exceeds the contract's ${this.maxMessageSize} bytes`);
    }
    return declared;
  }
}

/** Decodes the reassembled attribute with the PA-TNC attribute decoder, offsets relative to its first byte. */
function decodeWhole(chunks: Buffer[]): PaAttribute {
  const header = Buffer.from([PA_TNC_VERSION, 0, 0, 0, 0, 0, 0, 0]);
  const m = decodePaMessage(Buffer.concat([header, ...chunks]), { base: -PA_MSG_HEADER_LEN });
  return m.attributes[0];
}
