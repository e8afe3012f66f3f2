import { createHash } from 'node:crypto';
import type { HashAlgInfo } from '../../../protocol/pa-tnc/tcg/pts';

/** PC Client PTP: 24 PCRs. */
export const PCR_COUNT = 24;

/**
 * The verifier's own PCR bank, replayed from the IMC's evidence (protocols.md 7.2). Values are
 * computed here, so they are what the evidence claims; they mean something once a quote over them verifies.
 */
export class VirtualPcrs {
  private readonly values = new Map<number, Buffer>();

  constructor(
    readonly bank: HashAlgInfo,
    /** PFP 10.4.5.3: TPM 2.0 PCR0 starts at 00..0L for startup locality L. */
    readonly locality: number,
  ) {}

  get(pcr: number): Buffer {
    const v = this.values.get(pcr);
    if (v) return v;
    const reset = Buffer.alloc(this.bank.size);
    if (pcr === 0) reset[this.bank.size - 1] = this.locality;
    return reset;
  }

  /** TPM 2.0 Part 1 17.2: new = H(old ‖ digest). */
  extend(pcr: number, digest: Buffer): Buffer {
    const v = createHash(this.bank.node).update(this.get(pcr)).update(digest).digest();
    this.values.set(pcr, v);
    return v;
  }

  /** The PCRs the evidence extended, ascending, with their values (what the quote must cover). */
  selected(): Map<number, Buffer> {
    return new Map([...this.values].sort(([a], [b]) => a - b));
  }

  /** PCR values as hex by index (the shape src/measurements uses). */
  hexValues(): Record<number, string> {
    const out: Record<number, string> = {};
    for (let i = 0; i < PCR_COUNT; i++) out[i] = this.get(i).toString('hex');
    return out;
  }
}
