import type { HeldBytes } from '../protocol/pa-tnc/tcg/seg';

/**
 * Bounds on what unfinished TCG IF-M segment exchanges may hold (docs/configuration.md, "Limits"):
 * a peer that opens exchanges and never finishes them is refused with a PA-TNC Error once its
 * connection holds `perConnection` bytes, or once all connections together hold `total`.
 */
export const REASSEMBLY_LIMITS = {
  /** One reassembled attribute (we announce "no message size limit", as strongSwan does). */
  perAttribute: 64 * 1024 * 1024,
  /** Unfinished exchanges of one connection, all its IMCs/IMVs and message types together. */
  perConnection: 64 * 1024 * 1024,
  /** Unfinished exchanges of every connection in the process. */
  total: 256 * 1024 * 1024,
  /** Exchanges open at once per IMC/IMV and message type. */
  openExchanges: 16,
} as const;

/** A byte count bounded by `limit`, and by its parent's (the process's) when it has one. */
export class ByteBudget implements HeldBytes {
  private heldBytes = 0;

  constructor(
    readonly limit: number,
    private readonly parent?: ByteBudget,
  ) {}

  get held(): number {
    return this.heldBytes;
  }

  take(n: number): boolean {
    if (this.heldBytes + n > this.limit) return false;
    if (this.parent && !this.parent.take(n)) return false;
    this.heldBytes += n;
    return true;
  }

  give(n: number): void {
    this.heldBytes -= n;
    this.parent?.give(n);
  }
}

/** The whole process's bound: every connection's budget draws from it. */
export const processReassembly = new ByteBudget(REASSEMBLY_LIMITS.total);

/** A new connection's budget (the TNC client/server make one per connection). */
export const connectionReassembly = (
  limit: number = REASSEMBLY_LIMITS.perConnection,
  parent: ByteBudget = processReassembly,
): ByteBudget => new ByteBudget(limit, parent);
