import type { PaEnvelope } from './types';

/** RFC 5793 4.2, 4.5: a PB-PA message = 12-byte message header + 12-byte PB-PA header + the PA message. */
export const pbPaSize = (env: PaEnvelope): number => 24 + env.body.length;

/** PA messages made only when a batch has room for them, one held ready (so `pending` is exact). */
interface Later {
  head: PaEnvelope;
  readonly rest: Iterator<PaEnvelope>;
}

const isLater = (q: PaEnvelope | Later): q is Later => 'rest' in q;

/**
 * Outbound PA messages queued per connection until the next batch is built. A member may queue an
 * iterator of messages (`pushLater`): each is made when a batch takes it, so evidence of hundreds
 * of thousands of attributes never exists all at once.
 */
export class Outbox {
  private readonly queues = new Map<number, (PaEnvelope | Later)[]>();

  push(connectionId: number, msg: PaEnvelope): void {
    this.queue(connectionId).push(msg);
  }

  /** Queues messages that `messages` makes one at a time, in order, as batches take them. */
  pushLater(connectionId: number, messages: Iterator<PaEnvelope>): void {
    const first = messages.next();
    if (!first.done) this.queue(connectionId).push({ head: first.value, rest: messages });
  }

  /**
   * The queued messages, in order, whose PB-PA messages fit `budget` bytes of a batch (at least
   * one); the rest stay queued for the next batch, as a full batch leaves them in strongSwan.
   */
  take(connectionId: number, budget = Infinity): PaEnvelope[] {
    const q = this.queues.get(connectionId) ?? [];
    const taken: PaEnvelope[] = [];
    let used = 0;
    while (q.length > 0) {
      const item = q[0];
      const env = isLater(item) ? item.head : item;
      if (taken.length > 0 && used + pbPaSize(env) > budget) break;
      taken.push(env);
      used += pbPaSize(env);
      if (!isLater(item)) q.shift();
      else {
        const next = item.rest.next();
        if (next.done) q.shift();
        else item.head = next.value;
      }
    }
    if (q.length === 0) this.queues.delete(connectionId);
    return taken;
  }

  pending(connectionId: number): number {
    return this.queues.get(connectionId)?.length ?? 0;
  }

  drop(connectionId: number): void {
    for (const item of this.queues.get(connectionId) ?? []) if (isLater(item)) item.rest.return?.();
    this.queues.delete(connectionId);
  }

  private queue(connectionId: number): (PaEnvelope | Later)[] {
    let q = this.queues.get(connectionId);
    if (!q) this.queues.set(connectionId, (q = []));
    return q;
  }
}
