import type { PaEnvelope } from './types';

/** RFC 5793 4.2, 4.5: a PB-PA message = 12-byte message header + 12-byte PB-PA header + the PA message. */
export const pbPaSize = (env: PaEnvelope): number => 24 + env.body.length;

/** Outbound PA messages queued per connection until the next batch is built. */
export class Outbox {
  private readonly queues = new Map<number, PaEnvelope[]>();

  push(connectionId: number, msg: PaEnvelope): void {
    const q = this.queues.get(connectionId);
    if (q) q.push(msg);
    else this.queues.set(connectionId, [msg]);
  }

  /**
   * The queued messages, in order, whose PB-PA messages fit `budget` bytes of a batch (at least
   * one); the rest stay queued for the next batch, as a full batch leaves them in strongSwan.
   */
  take(connectionId: number, budget = Infinity): PaEnvelope[] {
    const q = this.queues.get(connectionId) ?? [];
    let used = 0;
    let n = 0;
    while (n < q.length && (n === 0 || used + pbPaSize(q[n]) <= budget)) used += pbPaSize(q[n++]);
    const taken = q.splice(0, n);
    if (q.length === 0) this.queues.delete(connectionId);
    return taken;
  }

  pending(connectionId: number): number {
    return this.queues.get(connectionId)?.length ?? 0;
  }

  drop(connectionId: number): void {
    this.queues.delete(connectionId);
  }
}
