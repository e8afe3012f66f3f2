import { KNOWN_BANKS } from '../../measurements/algorithms';
import { PCR_COUNT, PcrBank } from '../../measurements/pcr-bank';
import type { ReplayedPcrs } from '../../measurements/pcrs';
import type { HashAlgInfo } from '../../protocol/pa-tnc/tcg/pts';

export { PCR_COUNT };

/**
 * The verifier's own PCR bank, replayed from the IMC's evidence (TCG PTS 3.15: each Simple
 * Component Evidence extends its PCR) through the one PCR-bank module (src/measurements/pcr-bank.ts).
 * Values are computed here, so they are what the evidence claims; they mean something once a quote over them verifies.
 */
export class VirtualPcrs {
  private readonly pcrs: PcrBank;

  constructor(
    readonly bank: HashAlgInfo,
    /** PFP 10.4.5.3: TPM 2.0 PCR0 starts at 00..0L for startup locality L (4 after an H-CRTM). */
    readonly locality: number,
  ) {
    const alg = KNOWN_BANKS.find((b) => b.node === bank.node && b.size === bank.size);
    if (!alg) throw new RangeError(`no PCR bank for ${bank.name}`);
    this.pcrs = new PcrBank(alg, locality);
  }

  get(pcr: number): Buffer {
    return this.pcrs.get(pcr);
  }

  /** TPM 2.0 Part 1 17.2: new = H(old ‖ digest). */
  extend(pcr: number, digest: Buffer): Buffer {
    this.pcrs.extend(pcr, digest);
    return this.pcrs.get(pcr);
  }

  /** The PCRs the evidence extended, ascending, with their values (what the quote must cover). */
  selected(): Map<number, Buffer> {
    return this.pcrs.extended();
  }

  /** The extended PCRs as src/measurements replays them (hex by bank name and index), untrusted. */
  replayed(): ReplayedPcrs {
    return { [this.pcrs.bank.name]: this.pcrs.hexExtended() };
  }

  /** PCR values as hex by index (the shape src/measurements uses). */
  hexValues(): Record<number, string> {
    return this.pcrs.hexAll();
  }
}
