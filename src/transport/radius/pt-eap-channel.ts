import type { BatchChannel } from '../../tnccs/types';

/** strongSwan's tnccs-20 default for EAP: 65522-byte batches, so IMVs see 65490-byte PA-TNC messages. */
export const PT_EAP_MAX_BATCH = 65522;

export type ServerEvent = { kind: 'batch'; batch: Buffer } | { kind: 'done' };

/**
 * The PB-TNC server's BatchChannel over PT-EAP (RFC 7171): batches the client sent are queued for
 * `receive`; a batch the server sends, or the end of its session, is the next event the EAP side
 * awaits to build its answer.
 */
export class PtEapChannel implements BatchChannel {
  readonly transport = 'eap' as const;
  readonly maxBatchSize = PT_EAP_MAX_BATCH;
  private readonly inbox: Buffer[] = [];
  private waiter?: { resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private readonly events: ServerEvent[] = [];
  private eventWaiter?: (e: ServerEvent) => void;
  private closedWith?: Error;

  constructor(readonly peerIdentity: string | undefined) {}

  /** EAP side: a PB-TNC batch from the client. */
  deliver(batch: Buffer): void {
    if (this.waiter) {
      this.waiter.resolve(batch);
      this.waiter = undefined;
    } else this.inbox.push(batch);
  }

  /** EAP side: the server's next batch, or the end of its session. */
  nextEvent(): Promise<ServerEvent> {
    const e = this.events.shift();
    if (e) return Promise.resolve(e);
    return new Promise((resolve) => (this.eventWaiter = resolve));
  }

  /** EAP side: the server finished (verdict or error). */
  finished(): void {
    this.emit({ kind: 'done' });
  }

  /** EAP side: the EAP session ended (timeout, failure); a waiting `receive` rejects. */
  abort(why: string): void {
    this.closedWith ??= new Error(why);
    this.waiter?.reject(this.closedWith);
    this.waiter = undefined;
  }

  async send(batch: Buffer): Promise<void> {
    if (this.closedWith) throw this.closedWith;
    this.emit({ kind: 'batch', batch });
  }

  receive(): Promise<Buffer> {
    const next = this.inbox.shift();
    if (next) return Promise.resolve(next);
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async close(): Promise<void> {
    this.abort('PT-EAP channel closed');
  }

  private emit(e: ServerEvent): void {
    if (this.eventWaiter) {
      const w = this.eventWaiter;
      this.eventWaiter = undefined;
      w(e);
    } else this.events.push(e);
  }
}
