import { DecodeError } from '../../bytes/errors';
import type { BankAlgorithm } from '../algorithms';
import { digestInto, hashableBank, PcrBank, type DigestInto } from '../pcr-bank';
import type { ReplayedPcrs } from '../pcrs';
import { frameEntry, newFrame, type ImaEntry, type ImaFrame, type ImaTail } from './binary';
import { imaTemplateHashInput, IMA_NAME_PADDED } from './template';

/** A PCR bank by name (sha1, sha256, sha384, ...). */
export type ImaBank = string;
/** How many template hash mismatches are kept with their positions (all are counted). */
const MISMATCHES_KEPT = 100;

export interface ImaReplayOptions {
  /** Banks to replay (default: the list's bank). */
  banks?: readonly ImaBank[];
  /** The bank of the listed template hashes: sha1 for the classic list, else the per-bank list's (default sha1). */
  listBank?: ImaBank;
  /** Recompute each template hash and compare it with the listed one (default true). */
  checkTemplateHash?: boolean;
  /** Quoted PCR 10 (hex) per bank: find the longest prefix of the list that replays to it. */
  quoted?: Partial<Record<ImaBank, string>>;
}

export interface ImaReplay {
  entries: number;
  violations: number;
  /** The bank of the listed template hashes. */
  listBank: ImaBank;
  /** Replayed values of every PCR the list extends (normally only 10), per bank. Untrusted until compared. */
  pcrs: ReplayedPcrs;
  templateHashMismatches: number;
  /** The first mismatches: entry index and absolute offset. */
  mismatchedEntries: { index: number; offset: number }[];
  /** Per quoted bank: entries in the longest prefix that replays to the quoted PCR 10, or -1 if none does. */
  matchedPrefix: Partial<Record<ImaBank, number>>;
  /** Bytes after the last complete entry (a list read mid-write, or garbage): not replayed. */
  tail?: ImaTail;
}

const IMA_PCR = 10;

function isZero(buf: Buffer, at: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[at + i] !== 0) return false;
  return true;
}

function sameBytes(a: Buffer, at: number, b: Buffer, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[at + i] !== b[i]) return false;
  return true;
}

/** One replayed bank: its PCRs, its digest function and the violation value (all ones, ima_add_violation). */
interface Lane {
  readonly bank: BankAlgorithm;
  readonly pcrs: PcrBank;
  readonly digest: DigestInto;
  readonly ones: Buffer;
  /** True for the bank of the listed hashes: extend the listed value as it is. */
  readonly listed: boolean;
  readonly quoted?: Buffer;
}

/**
 * Replays IMA entries into PCRs, entry by entry, without keeping them: feed it frames of a binary
 * list (fast path) or decoded entries (ascii list, streams). In the list's own bank the listed
 * template hash is extended; in the others the kernel extends that bank's hash over the same
 * template data (ima_calc_field_array_hash per bank, Linux 5.x+), which the real guest PCRs confirm
 * (test/measurements/ima.test.ts). A violation, listed as all zeros, extends all ones.
 */
export class ImaReplayer {
  private readonly lanes: Lane[];
  private readonly check: boolean;
  private readonly listDigest: DigestInto;
  private readonly hashSize: number;
  private readonly result: Omit<ImaReplay, 'pcrs'>;
  private readonly computed = Buffer.alloc(64);
  private readonly scratch = Buffer.alloc(20 + IMA_NAME_PADDED);

  constructor(opts: ImaReplayOptions = {}) {
    const listBank = hashableBank(opts.listBank ?? 'sha1');
    this.hashSize = listBank.size;
    this.listDigest = digestInto(listBank);
    this.check = opts.checkTemplateHash ?? true;
    const matchedPrefix: ImaReplay['matchedPrefix'] = {};
    this.lanes = [...new Set(opts.banks ?? [listBank.name])].map((name) => {
      const bank = hashableBank(name);
      const q = opts.quoted?.[name];
      const quoted = q === undefined ? undefined : Buffer.from(q, 'hex');
      if (quoted) matchedPrefix[name] = isZero(quoted, 0, quoted.length) ? 0 : -1;
      return {
        bank,
        pcrs: new PcrBank(bank),
        digest: digestInto(bank),
        ones: Buffer.alloc(bank.size, 0xff),
        listed: bank === listBank,
        quoted,
      };
    });
    for (const name of Object.keys(opts.quoted ?? {})) matchedPrefix[name] ??= -1;
    this.result = {
      entries: 0,
      violations: 0,
      listBank: listBank.name,
      templateHashMismatches: 0,
      mismatchedEntries: [],
      matchedPrefix,
    };
  }

  /** Replays one entry given by position: the hot path, no allocation for sha1 and sha256. */
  addAt(
    offset: number,
    pcr: number,
    template: string,
    hashBuf: Buffer,
    hashAt: number,
    buf: Buffer,
    dataAt: number,
    dataLen: number,
  ): void {
    const r = this.result;
    const index = r.entries++;
    if (isZero(hashBuf, hashAt, this.hashSize)) {
      r.violations++;
      for (const l of this.lanes) l.pcrs.extend(pcr, l.ones, 0);
    } else {
      // the `ima` template hashes its name padded (template.ts); the others their listed data
      const padded = template === 'ima';
      const input = padded ? this.scratch : buf;
      const from = padded ? 0 : dataAt;
      const len = padded ? imaTemplateHashInput(buf, dataAt, dataLen, this.scratch) : dataLen;
      if (this.check) {
        this.listDigest(input, from, len, this.computed, 0);
        if (!sameBytes(hashBuf, hashAt, this.computed, this.hashSize) && r.templateHashMismatches++ < MISMATCHES_KEPT) {
          r.mismatchedEntries.push({ index, offset });
        }
      }
      for (const l of this.lanes) {
        if (l.listed) {
          l.pcrs.extend(pcr, hashBuf, hashAt);
        } else {
          l.digest(input, from, len, this.computed, 0);
          l.pcrs.extend(pcr, this.computed, 0);
        }
      }
    }
    if (pcr === IMA_PCR) this.track(index + 1);
  }

  private track(count: number): void {
    for (const l of this.lanes)
      if (l.quoted && l.pcrs.equals(IMA_PCR, l.quoted)) this.result.matchedPrefix[l.bank.name] = count;
  }

  add(e: ImaEntry): void {
    if (e.templateHash.length !== this.hashSize) {
      throw new DecodeError(
        'invalid',
        'IMA template hash',
        e.offset,
        `${e.templateHash.length} bytes in a ${this.result.listBank} list`,
      );
    }
    this.addAt(e.offset, e.pcr, e.template, e.templateHash, 0, e.templateData, 0, e.templateData.length);
  }

  /** Replays every complete entry of a binary list in place; returns the end of the last complete entry. */
  addList(buf: Buffer, base = 0, frame: ImaFrame = newFrame(this.hashSize)): number {
    let at = 0;
    while (at < buf.length && frameEntry(buf, at, base, frame)) {
      this.addAt(base + at, frame.pcr, frame.template, buf, frame.hashAt, buf, frame.dataAt, frame.dataLen);
      at = frame.end;
    }
    return at;
  }

  /** Records bytes after the last complete entry. */
  setTail(tail: ImaTail): void {
    this.result.tail = tail;
  }

  done(): ImaReplay {
    const pcrs: ReplayedPcrs = {};
    for (const l of this.lanes) pcrs[l.bank.name] = l.pcrs.hexExtended();
    return { ...this.result, pcrs };
  }
}

/**
 * Replays a whole binary list held in memory. Bytes after the last complete entry are reported as
 * `tail`, not replayed: the verifier decides what an unfinished list means. A malformed entry throws DecodeError.
 */
export function replayImaList(buf: Buffer, opts: ImaReplayOptions = {}, base = 0): ImaReplay {
  const replayer = new ImaReplayer(opts);
  const end = replayer.addList(buf, base);
  if (end < buf.length) replayer.setTail({ offset: base + end, length: buf.length - end });
  return replayer.done();
}

/** Replays entries from any source (decoded ascii list, a file stream) without holding them. */
export async function replayImaEntries(
  entries: Iterable<ImaEntry> | AsyncIterable<ImaEntry>,
  opts: ImaReplayOptions = {},
): Promise<ImaReplay> {
  const replayer = new ImaReplayer(opts);
  for await (const e of entries) replayer.add(e);
  return replayer.done();
}
