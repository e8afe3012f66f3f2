import type { BatchChannel } from '../../src/tnccs/types';

/** Two connected in-process batch channels (for state-machine tests; the real transport is PT-TLS). */
export function channelPair(
  maxBatchSize = 65522,
  peerIdentity = 'client.lab',
): [client: BatchChannel, server: BatchChannel] {
  const a = new QueueChannel(maxBatchSize);
  const b = new QueueChannel(maxBatchSize, peerIdentity);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class QueueChannel implements BatchChannel {
  peer!: QueueChannel;
  private readonly inbox: Buffer[] = [];
  private waiter?: { resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private closed = false;
  /** Every batch this side sent, for assertions. */
  readonly sent: Buffer[] = [];

  constructor(
    readonly maxBatchSize: number,
    readonly peerIdentity?: string,
  ) {}

  async send(batch: Buffer): Promise<void> {
    if (this.closed) throw new Error('channel closed');
    this.sent.push(batch);
    this.peer.deliver(batch);
  }

  deliver(batch: Buffer): void {
    if (this.waiter) {
      this.waiter.resolve(batch);
      this.waiter = undefined;
    } else this.inbox.push(batch);
  }

  receive(): Promise<Buffer> {
    const next = this.inbox.shift();
    if (next) return Promise.resolve(next);
    if (this.closed) return Promise.reject(new Error('channel closed'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.reject(new Error('channel closed'));
    this.peer.hangUp();
  }

  private hangUp(): void {
    this.closed = true;
    if (this.inbox.length === 0) this.waiter?.reject(new Error('peer closed'));
  }
}
