import type { ReplayedPcrs } from '../pcrs';
import { sha1ExtendInPlace, sha1Into } from '../sha1';
import { sha256ExtendInPlace, sha256Into } from '../sha256';
import { frameEntry, newFrame, TEMPLATE_HASH_SIZE, truncatedEntry, type ImaEntry, type ImaFrame, type ImaTemplate } from './binary';
import { imaTemplateHashInput } from './template';

export type ImaBank = 'sha1' | 'sha256';
const SIZES: Record<ImaBank, number> = { sha1: 20, sha256: 32 };
/** How many template hash mismatches are kept with their positions (all are counted). */
const MISMATCHES_KEPT = 100;

export interface ImaReplayOptions {
  /** Banks to replay (default sha1). */
  banks?: readonly ImaBank[];
  /** Recompute each SHA-1 template hash and compare it with the listed one (default true). */
  checkTemplateHash?: boolean;
  /** Quoted PCR 10 (hex) per bank: find the longest prefix of the list that replays to it. */
  quoted?: Partial<Record<ImaBank, string>>;
}

export interface ImaReplay {
  entries: number;
  violations: number;
  /** Replayed values of every PCR the list extends (normally only 10), per bank. Untrusted until compared. */
  pcrs: ReplayedPcrs;
  templateHashMismatches: number;
  /** The first mismatches: entry index and absolute offset. */
  mismatchedEntries: { index: number; offset: number }[];
  /** Per quoted bank: entries in the longest prefix that replays to the quoted PCR 10, or -1 if none does. */
  matchedPrefix: Partial<Record<ImaBank, number>>;
}

// ima_api.c / ima_fs.c: a violation is listed with an all-zero template hash and extended as all ones
const ONES: Record<ImaBank, Buffer> = { sha1: Buffer.alloc(20, 0xff), sha256: Buffer.alloc(32, 0xff) };
const IMA_PCR = 10;

function isZero(buf: Buffer, at: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[at + i] !== 0) return false;
  return true;
}

function sameBytes(a: Buffer, at: number, b: Buffer, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[at + i] !== b[i]) return false;
  return true;
}

/** One PCR's values in the banks being replayed. */
interface PcrState {
  sha1?: Buffer;
  sha256?: Buffer;
}

/**
 * Replays IMA entries into PCRs, entry by entry, without keeping them: feed it frames of a binary
 * list (fast path) or decoded entries (ascii list, streams). SHA-1 bank: the listed template hash
 * is extended. SHA-256 bank: the kernel extends SHA-256 over the same template data
 * (ima_calc_field_array_hash per bank), which verify-samples.js confirmed on the real guest PCRs.
 * Hashing is the TypeScript SHA-1/SHA-256 of sha1.ts/sha256.ts: node:crypto's per-call cost is
 * larger than the hashing itself for entries this small (bench/measurements.ts).
 */
export class ImaReplayer {
  private readonly banks: readonly ImaBank[];
  private readonly check: boolean;
  private readonly state = new Map<number, PcrState>();
  private readonly quoted: [ImaBank, Buffer][];
  private readonly result: Omit<ImaReplay, 'pcrs'>;
  private readonly computed = Buffer.alloc(32);
  private readonly scratch = Buffer.alloc(276);
  /** The PCR of the previous entry and its state: nearly every entry extends PCR 10. */
  private lastPcr = -1;
  private last: PcrState = {};

  constructor(opts: ImaReplayOptions = {}) {
    this.banks = opts.banks ?? ['sha1'];
    this.check = opts.checkTemplateHash ?? true;
    this.quoted = Object.entries(opts.quoted ?? {}).map(([b, hex]) => [b as ImaBank, Buffer.from(hex, 'hex')]);
    const matchedPrefix: ImaReplay['matchedPrefix'] = {};
    for (const [bank, q] of this.quoted) matchedPrefix[bank] = isZero(q, 0, q.length) ? 0 : -1;
    this.result = { entries: 0, violations: 0, templateHashMismatches: 0, mismatchedEntries: [], matchedPrefix };
  }

  private pcr(n: number): PcrState {
    if (n === this.lastPcr) return this.last;
    let s = this.state.get(n);
    if (!s) {
      s = Object.fromEntries(this.banks.map((b) => [b, Buffer.alloc(SIZES[b])])) as PcrState;
      this.state.set(n, s);
    }
    this.lastPcr = n;
    this.last = s;
    return s;
  }

  /** Replays one entry given by position: the hot path, no allocation. */
  addAt(offset: number, pcr: number, template: ImaTemplate, hashBuf: Buffer, hashAt: number, buf: Buffer, dataAt: number, dataLen: number): void {
    const r = this.result;
    const index = r.entries++;
    const s = this.pcr(pcr);
    if (isZero(hashBuf, hashAt, TEMPLATE_HASH_SIZE)) {
      r.violations++;
      if (s.sha1) sha1ExtendInPlace(s.sha1, ONES.sha1, 0);
      if (s.sha256) sha256ExtendInPlace(s.sha256, ONES.sha256, 0);
    } else {
      // the `ima` template hashes its name padded (template.ts); the others their listed data
      const padded = template === 'ima';
      const input = padded ? this.scratch : buf;
      const from = padded ? 0 : dataAt;
      const len = padded ? imaTemplateHashInput(buf, dataAt, dataLen, this.scratch) : dataLen;
      if (this.check) {
        sha1Into(input, from, len, this.computed, 0);
        if (!sameBytes(hashBuf, hashAt, this.computed, TEMPLATE_HASH_SIZE) && r.templateHashMismatches++ < MISMATCHES_KEPT) {
          r.mismatchedEntries.push({ index, offset });
        }
      }
      if (s.sha1) sha1ExtendInPlace(s.sha1, hashBuf, hashAt);
      if (s.sha256) {
        sha256Into(input, from, len, this.computed, 0);
        sha256ExtendInPlace(s.sha256, this.computed, 0);
      }
    }
    if (pcr === IMA_PCR && this.quoted.length > 0) this.track(s, index + 1);
  }

  private track(s: PcrState, count: number): void {
    for (const [bank, q] of this.quoted) {
      const v = s[bank];
      if (v?.length === q.length && sameBytes(v, 0, q, q.length)) this.result.matchedPrefix[bank] = count;
    }
  }

  add(e: ImaEntry): void {
    this.addAt(e.offset, e.pcr, e.template, e.templateHash, 0, e.templateData, 0, e.templateData.length);
  }

  /** Replays every entry of a whole binary list in place; returns the end of the last complete entry. */
  addList(buf: Buffer, base = 0, frame: ImaFrame = newFrame()): number {
    let at = 0;
    while (at < buf.length && frameEntry(buf, at, base, frame)) {
      this.addAt(base + at, frame.pcr, frame.template, buf, frame.hashAt, buf, frame.dataAt, frame.dataLen);
      at = frame.end;
    }
    return at;
  }

  done(): ImaReplay {
    const pcrs: ReplayedPcrs = {};
    for (const bank of this.banks) {
      pcrs[bank] = {};
      for (const [n, s] of this.state) pcrs[bank][n] = (s[bank] as Buffer).toString('hex'); // pcr() made every bank
    }
    return { ...this.result, pcrs };
  }
}

/** Replays a whole binary list held in memory; a list that ends inside an entry throws DecodeError. */
export function replayImaList(buf: Buffer, opts: ImaReplayOptions = {}, base = 0): ImaReplay {
  const replayer = new ImaReplayer(opts);
  const end = replayer.addList(buf, base);
  if (end < buf.length) throw truncatedEntry(base + end, buf.length - end);
  return replayer.done();
}
