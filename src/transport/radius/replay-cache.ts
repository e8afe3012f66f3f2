/**
 * RFC 5080 2.2.2 duplicate detection: a request with the same client address, port, Identifier and
 * Request Authenticator as one seen recently is a retransmission. While the first is being worked
 * on the copy is ignored; afterwards it gets the same answer again, never a second processing.
 */
export class ReplayCache {
  private readonly entries = new Map<string, { authenticator: Buffer; answer?: Buffer; at: number }>();

  constructor(
    private readonly lifetimeMs = 30_000,
    private readonly maxEntries = 4096,
  ) {}

  /** 'new' (now in progress), 'busy' (a copy of one in progress), or the answer to resend. */
  check(key: string, authenticator: Buffer, now = Date.now()): 'new' | 'busy' | Buffer {
    this.expire(now);
    const e = this.entries.get(key);
    if (e && e.authenticator.equals(authenticator)) return e.answer ?? 'busy';
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { authenticator: Buffer.from(authenticator), at: now });
    return 'new';
  }

  /** The answer sent for `key` (undefined: the request was dropped; a copy is processed afresh). */
  answered(key: string, answer: Buffer | undefined): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (answer) e.answer = answer;
    else this.entries.delete(key);
  }

  private expire(now: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.at <= this.lifetimeMs) break; // insertion order = age order
      this.entries.delete(k);
    }
  }
}
