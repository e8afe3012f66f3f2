import { Reader } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';
import { decodePtTlsHeader } from './message';
import { PT_TLS_HEADER_LEN, PT_TLS_MAX_MESSAGE_LEN } from './types';

/** One whole message cut from the stream; `offset` is where it starts in the stream. */
export interface FramedMessage {
  readonly bytes: Buffer;
  readonly offset: number;
}

/**
 * Cuts a TLS byte stream into whole PT-TLS messages. The length field is checked as soon as the
 * 16-byte header is there, so an oversize or undersize length fails before any of its body is
 * buffered; memory held is only the bytes that really arrived. After a failure every push throws
 * the same DecodeError (the stream has lost its framing and cannot resync).
 */
export class PtTlsFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Stream offset of the first buffered byte. */
  private consumed = 0;
  /** Length of the message in progress, once its header has been read (0 = not yet). */
  private expected = 0;
  private failure?: DecodeError;

  constructor(readonly maxMessageSize = PT_TLS_MAX_MESSAGE_LEN) {}

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.buffered;
  }

  /** Up to n of the buffered bytes (after a failure: the start of the offending message). */
  peek(n: number): Buffer {
    return this.buffered === 0 ? Buffer.alloc(0) : this.flatten().subarray(0, n);
  }

  /** Adds a chunk; returns every message it completes. Throws DecodeError on a bad header. */
  push(chunk: Buffer): FramedMessage[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: FramedMessage[] = [];
    try {
      for (let m = this.next(); m; m = this.next()) out.push(m);
    } catch (e) {
      this.failure = e as DecodeError;
      throw e;
    }
    return out;
  }

  private next(): FramedMessage | undefined {
    if (this.expected === 0) {
      if (this.buffered < PT_TLS_HEADER_LEN) return undefined;
      const header = this.flatten().subarray(0, PT_TLS_HEADER_LEN);
      this.expected = decodePtTlsHeader(new Reader(header, this.consumed), this.maxMessageSize).length;
    }
    if (this.buffered < this.expected) return undefined;
    const all = this.flatten();
    const msg = { bytes: all.subarray(0, this.expected), offset: this.consumed };
    const rest = all.subarray(this.expected);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.consumed += this.expected;
    this.expected = 0;
    return msg;
  }

  /** Joins the buffered chunks (bounded by bytes received, never by a declared length). */
  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }
}
