import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../log';
import { isDecodeError, type DecodeError } from '../../bytes/errors';
import {
  decodePtTlsMessage,
  encodePtTlsMessageParts,
  messageVendorType,
  ptTlsErrorName,
  ptTlsTypeName,
  PtTlsErrorCode,
  PtTlsFramer,
  type FramedMessage,
  type PtTlsKind,
  type PtTlsMessage,
  type PtTlsValue,
  type PtTlsValueOf,
} from '../../protocol/pt-tls';
import { VENDOR } from '../../protocol/vendors';
import { TransportError } from './errors';

/** A received message with its raw bytes (copied into PT-TLS Error answers) and stream offset. */
export interface Received<V extends PtTlsValue = PtTlsValue> {
  readonly id: number;
  readonly value: V;
  readonly raw: Buffer;
  readonly offset: number;
}

// RFC 6876 3.9: the Error carries a copy of the offending message; like other implementations we cap it
const ERROR_COPY_MAX = 1024;
const CLOSE_GRACE_MS = 2000;

/**
 * PT-TLS message I/O on one TLS socket: framing, per-sender message IDs from 0 (as strongSwan),
 * one log line per message, and the rule that any protocol fault is answered with a PT-TLS Error
 * and a close. Phases are the caller's business (see `expect`).
 */
export class PtTlsConnection {
  private nextId = 0;
  private readonly framer: PtTlsFramer;
  private readonly inbox: FramedMessage[] = [];
  private waiter?: { resolve: (m: FramedMessage) => void; reject: (e: TransportError) => void };
  private failure?: TransportError;

  constructor(
    readonly socket: TLSSocket,
    readonly maxMessageSize: number,
    private readonly log: Logger,
  ) {
    this.framer = new PtTlsFramer(maxMessageSize);
    // each PT-TLS message is one write: do not let Nagle hold it for the peer's delayed ACK
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.fail(new TransportError('closed', 'peer closed the PT-TLS connection')));
    socket.on('close', () => this.fail(new TransportError('closed', 'PT-TLS connection closed')));
    socket.on('error', (e: NodeJS.ErrnoException) =>
      this.fail(new TransportError(/SSL|TLS|CERT/.test(e.code ?? '') ? 'tls' : 'io', e.message)),
    );
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  async send(value: PtTlsValue): Promise<void> {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const parts = encodePtTlsMessageParts({ id, value });
    const length = parts.reduce((n, p) => n + p.length, 0);
    const name = typeName(value);
    if (length > this.maxMessageSize)
      throw new TransportError(
        'too-large',
        `PT-TLS message of ${length} bytes exceeds the limit of ${this.maxMessageSize}`,
      );
    if (this.log.enabled(2)) this.log.debug('TNC', `sending PT-TLS message #${id} of type '${name}' (${length} bytes)`);
    const last = parts.length - 1;
    await new Promise<void>((resolve, reject) => {
      const done = (e?: Error | null) =>
        e ? reject(new TransportError('io', `sending ${name}: ${e.message}`)) : resolve();
      // corked, the parts go out as one write: a batch is sent as it is, never copied behind a header
      this.socket.cork();
      for (let i = 0; i < last; i++) this.socket.write(parts[i]);
      this.socket.write(parts[last], done);
      this.socket.uncork();
    });
  }

  /** The next message, which must be of `kind`; any other answers the peer with a PT-TLS Error and closes. */
  async expect<K extends PtTlsKind>(kind: K, timeoutMs: number, phase: string): Promise<Received<PtTlsValueOf<K>>> {
    const m = await this.receive(timeoutMs);
    if (m.value.kind === kind) return m as Received<PtTlsValueOf<K>>;
    // RFC 6876 3.9.1: unknown types are Type Not Supported; known ones out of place are Invalid Message
    const code =
      m.value.kind === 'unknown' || m.value.kind === 'experimental'
        ? PtTlsErrorCode.TYPE_NOT_SUPPORTED
        : PtTlsErrorCode.INVALID_MESSAGE;
    throw await this.abort(code, m.raw, `unexpected PT-TLS message '${typeName(m.value)}' in the ${phase} phase`);
  }

  /** The next message of any type; a PT-TLS Error from the peer rejects with 'peer-error' and closes. */
  async receive(timeoutMs: number): Promise<Received> {
    const framed = await this.nextFramed(timeoutMs);
    let msg: PtTlsMessage;
    try {
      msg = decodePtTlsMessage(framed.bytes, { base: framed.offset, maxMessageSize: this.maxMessageSize });
    } catch (e) {
      if (!isDecodeError(e)) throw e;
      throw await this.abort(errorCodeFor(e), framed.bytes, e.message);
    }
    if (this.log.enabled(2))
      this.log.debug(
        'TNC',
        `received PT-TLS message #${msg.id} of type '${typeName(msg.value)}' (${framed.bytes.length} bytes)`,
      );
    if (msg.value.kind === 'error') {
      const reason = `received PT-TLS error '${ptTlsErrorName(msg.value.errorVendor, msg.value.errorCode)}'`;
      this.log.error('TNC', reason);
      this.fail(new TransportError('peer-error', reason));
      this.socket.destroy();
      throw this.failure;
    }
    return { ...msg, raw: framed.bytes, offset: framed.offset };
  }

  /** RFC 6876 3.9: tell the peer what went wrong, then close. Returns the error for the caller to throw. */
  async abort(code: PtTlsErrorCode, offending: Buffer, reason: string): Promise<TransportError> {
    const err = new TransportError('protocol', `${ptTlsErrorName(VENDOR.IETF, code)}: ${reason}`);
    if (this.failure) return err;
    this.log.error('TNC', `sending PT-TLS error '${ptTlsErrorName(VENDOR.IETF, code)}': ${reason}`);
    this.inbox.length = 0;
    try {
      await this.send({
        kind: 'error',
        errorVendor: VENDOR.IETF,
        errorCode: code,
        offending: offending.subarray(0, ERROR_COPY_MAX),
      });
    } catch {
      // the peer may already be gone; closing is all that is left
    }
    this.fail(err);
    this.socket.end();
    return err;
  }

  /** Sends TLS close_notify and waits (briefly) for the socket to close. */
  async close(): Promise<void> {
    this.fail(new TransportError('closed', 'PT-TLS connection closed locally'));
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let framed: FramedMessage[];
    try {
      framed = this.framer.push(chunk);
    } catch (e) {
      // RFC 6876 3.9.1: a header the framer cannot use fails the basic sanity test: Malformed Message
      void this.abort(PtTlsErrorCode.MALFORMED_MESSAGE, this.framer.peek(ERROR_COPY_MAX), (e as DecodeError).message);
      return;
    }
    for (const m of framed) {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(m);
      } else this.inbox.push(m);
    }
  }

  private fail(e: TransportError): void {
    if (this.failure) return;
    this.failure = e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  private nextFramed(timeoutMs: number): Promise<FramedMessage> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new TransportError('io', 'concurrent receive on one PT-TLS connection'));
    return new Promise<FramedMessage>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.fail(new TransportError('timeout', `no PT-TLS message within ${timeoutMs} ms`));
              this.socket.destroy();
            }, timeoutMs)
          : undefined;
      const done =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          f(v);
        };
      this.waiter = { resolve: done(resolve), reject: done(reject) };
    });
  }
}

function typeName(v: PtTlsValue): string {
  const { vendor, type } = messageVendorType(v);
  return ptTlsTypeName(vendor, type);
}

/** RFC 6876 3.9.1: bad field values are Invalid Parameter; broken framing or layout is Malformed Message. */
function errorCodeFor(e: DecodeError): PtTlsErrorCode {
  return e.kind === 'invalid' || e.kind === 'reserved'
    ? PtTlsErrorCode.INVALID_PARAMETER
    : PtTlsErrorCode.MALFORMED_MESSAGE;
}
