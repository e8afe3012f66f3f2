import { hash } from 'node:crypto';
import { bankByName, canHash, type BankAlgorithm } from './algorithms';
import { sha1ExtendInPlace, sha1Into } from './sha1';
import { sha256ExtendInPlace, sha256Into } from './sha256';

/** PC Client PTP: 24 PCRs, 0-23. */
export const PCR_COUNT = 24;

/** A bank's hash of src[off, off+len) into out[at..]: the TypeScript SHA-1/SHA-256 for the hot path, node:crypto otherwise. */
export type DigestInto = (src: Uint8Array, off: number, len: number, out: Uint8Array, outAt: number) => void;

/**
 * The digest function of a bank. sha1.ts and sha256.ts hash small inputs without node:crypto's
 * per-call cost (bench/measurements.ts); the other banks go through node:crypto.
 */
export function digestInto(bank: BankAlgorithm): DigestInto {
  if (bank.name === 'sha1') return sha1Into;
  if (bank.name === 'sha256') return sha256Into;
  return (src, off, len, out, outAt) => {
    hash(bank.node, Buffer.from(src.buffer, src.byteOffset + off, len), 'buffer').copy(out, outAt);
  };
}

/** Looks a bank up by name and checks node:crypto can hash it; throws RangeError otherwise. */
export function hashableBank(name: string): BankAlgorithm {
  const bank = bankByName(name);
  if (!bank || !canHash(bank)) throw new RangeError(`PCR bank ${name} is not supported here`);
  return bank;
}

/**
 * One PCR bank as a replay computes it: the single place where the IMC, the IMV, the event-log
 * replay and the IMA replay extend PCRs. Values are what the evidence claims: they mean something
 * only once a verified quote reproduces them.
 */
export class PcrBank {
  private readonly values = new Map<number, Buffer>();
  private readonly extendInPlace: (pcr: Buffer, digest: Uint8Array, at: number) => void;
  private lastPcr = -1;
  private last: Buffer = Buffer.alloc(0);

  /**
   * `pcr0Locality`: TPM 2.0 Part 1 (17.6.4.4 and 34.2, H-CRTM): PCR 0 starts at 00..0L after
   * TPM2_Startup at locality L (PC Client PFP 10.4.5.3 StartupLocality), 00..04 after an H-CRTM sequence.
   */
  constructor(
    readonly bank: BankAlgorithm,
    readonly pcr0Locality = 0,
  ) {
    if (!canHash(bank)) throw new RangeError(`PCR bank ${bank.name} is not supported here`);
    if (bank.name === 'sha1') this.extendInPlace = sha1ExtendInPlace;
    else if (bank.name === 'sha256') this.extendInPlace = sha256ExtendInPlace;
    else
      this.extendInPlace = (pcr, digest, at) =>
        hash(bank.node, Buffer.concat([pcr, digest.subarray(at, at + bank.size)]), 'buffer').copy(pcr);
  }

  /** The reset value of a PCR. */
  reset(pcr: number): Buffer {
    const v = Buffer.alloc(this.bank.size);
    if (pcr === 0) v[v.length - 1] = this.pcr0Locality;
    return v;
  }

  private slot(pcr: number): Buffer {
    if (pcr === this.lastPcr) return this.last;
    if (!Number.isInteger(pcr) || pcr < 0 || pcr >= PCR_COUNT)
      throw new RangeError(`PCR ${pcr} does not exist (0-${PCR_COUNT - 1})`);
    let v = this.values.get(pcr);
    if (!v) this.values.set(pcr, (v = this.reset(pcr)));
    this.lastPcr = pcr;
    this.last = v;
    return v;
  }

  /** TPM 2.0 Part 1 17.2: PCR = H(PCR || digest[at, at+size)). No allocation for sha1 and sha256. */
  extend(pcr: number, digest: Uint8Array, at = 0): void {
    if (digest.length - at < this.bank.size)
      throw new RangeError(`a ${this.bank.name} extend needs ${this.bank.size} bytes`);
    this.extendInPlace(this.slot(pcr), digest, at);
  }

  /** A copy of the PCR's value (its reset value if never extended). */
  get(pcr: number): Buffer {
    return Buffer.from(this.values.get(pcr) ?? this.reset(pcr));
  }

  /** True when the value of `pcr` equals value[0, size). */
  equals(pcr: number, value: Buffer): boolean {
    const v = this.values.get(pcr) ?? this.reset(pcr);
    return v.equals(value);
  }

  /** The PCRs extended so far, ascending, with copies of their values (what a quote must cover). */
  extended(): Map<number, Buffer> {
    return new Map([...this.values].sort(([a], [b]) => a - b).map(([n, v]) => [n, Buffer.from(v)]));
  }

  /** The extended PCRs as hex by index (the shape of ReplayedPcrs). */
  hexExtended(): Record<number, string> {
    return Object.fromEntries([...this.values].sort(([a], [b]) => a - b).map(([n, v]) => [n, v.toString('hex')]));
  }

  /** Every PCR 0-23 as hex (reset values where not extended). */
  hexAll(): Record<number, string> {
    const out: Record<number, string> = {};
    for (let i = 0; i < PCR_COUNT; i++) out[i] = (this.values.get(i) ?? this.reset(i)).toString('hex');
    return out;
  }
}
