import { hash } from 'node:crypto';
import type { ReplayedPcrs } from '../pcrs';
import { sha1ExtendInPlace, sha1Into } from '../sha1';
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

/**
 * Replays IMA entries into PCRs, entry by entry, without keeping them: feed it frames of a binary
 * list (fast path) or decoded entries (ascii list, streams). SHA-1 bank: the listed template hash
 * is extended. SHA-256 bank: the kernel extends SHA-256 over the same template data
 * (ima_calc_field_array_hash per bank), which verify-samples.js confirmed on the real guest PCRs.
 */
export class ImaReplayer {
  private readonly banks: readonly ImaBank[];
  private readonly check: boolean;
  private readonly state = new Map<number, Record<string, Buffer>>();
  private readonly quoted: [ImaBank, Buffer][];
  private readonly result: Omit<ImaReplay, 'pcrs'>;
  private readonly computed = Buffer.alloc(20);
  private readonly scratch = Buffer.alloc(276);
  private readonly pair = Buffer.alloc(64);

  constructor(opts: ImaReplayOptions = {}) {
    this.banks = opts.banks ?? ['sha1'];
    this.check = opts.checkTemplateHash ?? true;
    this.quoted = Object.entries(opts.quoted ?? {}).map(([b, hex]) => [b as ImaBank, Buffer.from(hex, 'hex')]);
    const matchedPrefix: ImaReplay['matchedPrefix'] = {};
    for (const [bank, q] of this.quoted) matchedPrefix[bank] = isZero(q, 0, q.length) ? 0 : -1;
    this.result = { entries: 0, violations: 0, templateHashMismatches: 0, mismatchedEntries: [], matchedPrefix };
  }

  private pcr(n: number): Record<string, Buffer> {
    let s = this.state.get(n);
    if (!s) {
      s = Object.fromEntries(this.banks.map((b) => [b, Buffer.alloc(SIZES[b])]));
      this.state.set(n, s);
    }
    return s;
  }

  /** Replays one entry given by position: the hot path, no allocation in the SHA-1 bank. */
  addAt(offset: number, pcr: number, template: ImaTemplate, hashBuf: Buffer, hashAt: number, buf: Buffer, dataAt: number, dataLen: number): void {
    const r = this.result;
    const index = r.entries++;
    const violation = isZero(hashBuf, hashAt, TEMPLATE_HASH_SIZE);
    if (violation) r.violations++;
    // the `ima` template hashes its name padded (template.ts); the others their listed data
    const padded = template === 'ima' && !violation;
    const input = padded ? this.scratch : buf;
    const from = padded ? 0 : dataAt;
    const len = padded ? imaTemplateHashInput(buf, dataAt, dataLen, this.scratch) : dataLen;
    if (!violation && this.check) {
      sha1Into(input, from, len, this.computed, 0);
      if (!sameBytes(hashBuf, hashAt, this.computed, TEMPLATE_HASH_SIZE)) {
        if (r.templateHashMismatches++ < MISMATCHES_KEPT) r.mismatchedEntries.push({ index, offset });
      }
    }
    const s = this.pcr(pcr);
    for (const bank of this.banks) {
      if (bank === 'sha1') sha1ExtendInPlace(s.sha1, violation ? ONES.sha1 : hashBuf, violation ? 0 : hashAt);
      else this.extend256(s.sha256, violation ? ONES.sha256 : hash('sha256', input.subarray(from, from + len), 'buffer'));
    }
    if (pcr === IMA_PCR) this.track(s, index + 1);
  }

  private extend256(pcr: Buffer, digest: Buffer): void {
    pcr.copy(this.pair, 0);
    digest.copy(this.pair, 32);
    hash('sha256', this.pair, 'buffer').copy(pcr, 0);
  }

  private track(s: Record<string, Buffer>, count: number): void {
    for (const [bank, q] of this.quoted) if (s[bank]?.equals(q)) this.result.matchedPrefix[bank] = count;
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
      pcrs[bank] = Object.fromEntries([...this.state].map(([n, s]) => [n, s[bank].toString('hex')]));
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
