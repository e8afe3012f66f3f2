import { DecodeError } from '../../../../bytes/errors';
import { decodePaMessage, PA_ATTR_HEADER_LEN, PA_MSG_HEADER_LEN, PA_TNC_VERSION } from '../../message';
import type { PaAttribute, PaCodecs } from '../../registry';
import { NextSegment, NO_LIMIT, SegmentEnvelope } from './attributes';
import { nextSegmentRequest } from './segmenter';

export type ReassemblyStep =
  /** More segments follow: send `request` (Next Segment) to the peer. */
  | { kind: 'more'; baseMessageId: number; request: PaAttribute<NextSegment> }
  /** The whole attribute, decoded with the reassembler's codecs as if it had arrived in one piece. */
  | { kind: 'complete'; baseMessageId: number; attribute: PaAttribute }
  /** Nothing to do: a duplicate start, or a segment of an exchange we do not know. */
  | { kind: 'ignored'; baseMessageId: number; reason: string };

interface Pending {
  declared: number;
  received: number;
  chunks: Buffer[];
}

const LENGTH_FIELD = 8;

/** Bytes an exchange may keep, shared with other reassemblers (the connection's and the process's). */
export interface HeldBytes {
  /** Holds `n` more bytes; false (nothing held) when that goes past the bound. */
  take(n: number): boolean;
  give(n: number): void;
  readonly limit: number;
}

/**
 * Receiver side of one contract: collects envelopes until the last one and refuses any
 * attribute whose declared length exceeds the contract's max message size before holding
 * more of it. Errors are DecodeErrors whose offsets are relative to the reassembled attribute
 * (answer them with a PA-TNC Error about the segmented base message ID).
 */
export class Reassembler {
  private readonly open = new Map<number, Pending>();

  /**
   * `held` bounds the bytes of all unfinished exchanges together (beyond this reassembler), and
   * `maxOpen` the exchanges open at once: a peer that starts exchanges and never finishes them
   * is refused instead of hoarding memory. `codecs` decode the whole attribute.
   */
  constructor(
    private readonly codecs: PaCodecs,
    readonly maxMessageSize: number,
    private readonly held?: HeldBytes,
    private readonly maxOpen = Infinity,
  ) {}

  add(env: SegmentEnvelope): ReassemblyStep {
    const id = env.baseMessageId;
    if (env.start) {
      // strongSwan's seg_contract.c: a duplicate start for a base ID in progress is ignored
      if (this.open.has(id)) return { kind: 'ignored', baseMessageId: id, reason: 'duplicate first segment' };
      if (this.open.size >= this.maxOpen)
        throw new DecodeError(
          'limit',
          'segment exchange',
          0,
          `${this.open.size} unfinished segment exchanges already (at most ${this.maxOpen})`,
        );
      this.open.set(id, { declared: this.declaredLength(env.data), received: 0, chunks: [] });
    }
    const p = this.open.get(id);
    if (!p) return { kind: 'ignored', baseMessageId: id, reason: 'no segment exchange with this base message ID' };
    if (p.received + env.data.length > p.declared) {
      this.drop(id);
      throw new DecodeError(
        'overrun',
        'segmented attribute',
        p.received,
        `segments exceed the declared length ${p.declared}`,
      );
    }
    if (this.held && !this.held.take(env.data.length)) {
      this.drop(id);
      throw new DecodeError(
        'limit',
        'segmented attribute',
        p.received,
        `unfinished segment exchanges would hold more than ${this.held.limit} bytes`,
      );
    }
    p.chunks.push(env.data);
    p.received += env.data.length;
    if (env.more) return { kind: 'more', baseMessageId: id, request: nextSegmentRequest(id) };
    this.drop(id);
    if (p.received !== p.declared)
      throw new DecodeError(
        'truncated',
        'segmented attribute',
        p.received,
        `${p.received} of ${p.declared} bytes arrived`,
      );
    return { kind: 'complete', baseMessageId: id, attribute: decodeWhole(p.chunks, this.codecs) };
  }

  /** Gives up on an exchange; returns the Next Segment with C set to tell the sender. */
  cancel(baseMessageId: number): PaAttribute<NextSegment> | undefined {
    return this.drop(baseMessageId) ? nextSegmentRequest(baseMessageId, true) : undefined;
  }

  /** Gives up every exchange (the connection ended) and returns their bytes to `held`. */
  close(): void {
    for (const id of [...this.open.keys()]) this.drop(id);
  }

  get inProgress(): number[] {
    return [...this.open.keys()];
  }

  private drop(id: number): boolean {
    const p = this.open.get(id);
    if (!p) return false;
    this.open.delete(id);
    this.held?.give(p.received);
    return true;
  }

  private declaredLength(first: Buffer): number {
    if (first.length < PA_ATTR_HEADER_LEN)
      throw new DecodeError(
        'truncated',
        'segmented attribute header',
        first.length,
        'first segment shorter than an attribute header',
      );
    const declared = first.readUInt32BE(LENGTH_FIELD);
    // RFC 5792 4.2: the length includes the 12-byte header
    if (declared < PA_ATTR_HEADER_LEN)
      throw new DecodeError(
        'invalid',
        'segmented attribute length',
        LENGTH_FIELD,
        `length ${declared} below the header size`,
      );
    if (this.maxMessageSize !== NO_LIMIT && declared > this.maxMessageSize) {
      throw new DecodeError(
        'limit',
        'segmented attribute length',
        LENGTH_FIELD,
        `length ${declared} exceeds the contract's ${this.maxMessageSize} bytes`,
      );
    }
    return declared;
  }
}

/** Decodes the reassembled attribute with the PA-TNC attribute decoder, offsets relative to its first byte. */
function decodeWhole(chunks: Buffer[], codecs: PaCodecs): PaAttribute {
  const header = Buffer.from([PA_TNC_VERSION, 0, 0, 0, 0, 0, 0, 0]);
  const m = decodePaMessage(Buffer.concat([header, ...chunks]), codecs, { base: -PA_MSG_HEADER_LEN });
  return m.attributes[0];
}
