import type { QuotedPcrs } from '../pcrs';
import type { ImaEntry } from './binary';
import { ImaReplayer, type ImaBank, type ImaReplay, type ImaReplayOptions } from './replay';

/** Replays entries from any source (decoded ascii list, a file stream) without holding them. */
export async function replayImaEntries(
  entries: Iterable<ImaEntry> | AsyncIterable<ImaEntry>,
  opts: ImaReplayOptions = {},
): Promise<ImaReplay> {
  const replayer = new ImaReplayer(opts);
  for await (const e of entries) replayer.add(e);
  return replayer.done();
}

declare const verifiedBrand: unique symbol;

/** The first `entries` entries of an IMA list, proven by a quoted PCR 10 in `banks`. */
export interface VerifiedImaList {
  readonly [verifiedBrand]: true;
  readonly entries: number;
  readonly banks: ImaBank[];
}

export type ImaVerdict = { ok: true; verified: VerifiedImaList } | { ok: false; reasons: string[] };

/** Options for a replay that verifyImaReplay can judge: the quoted PCR 10 of the banks it has. */
export function quotedPcr10(quoted: QuotedPcrs): Partial<Record<ImaBank, string>> {
  const out: Partial<Record<ImaBank, string>> = {};
  for (const [bank, values] of Object.entries(quoted)) if (values[10]) out[bank] = values[10].toLowerCase();
  return out;
}

/**
 * Judges a replay made with `quoted: quotedPcr10(q)`: the list is trusted up to the longest prefix
 * that replays to the quoted PCR 10 (the list grows after the quote), in every quoted bank alike,
 * and only if every template hash in it was right.
 */
export function verifyImaReplay(replay: ImaReplay): ImaVerdict {
  const reasons: string[] = [];
  const prefixes = Object.entries(replay.matchedPrefix) as [ImaBank, number][];
  if (prefixes.length === 0) reasons.push('no quoted PCR 10 in a bank the replay covers');
  for (const [bank, n] of prefixes) {
    if (n < 0)
      reasons.push(
        `PCR 10 (${bank}): no prefix of the ${replay.entries} entries replays to the quoted value (replay of all gives ${replay.pcrs[bank]?.[10] ?? 'nothing'})`,
      );
  }
  const lengths = new Set(prefixes.map(([, n]) => n));
  if (lengths.size > 1)
    reasons.push(`banks disagree on the matching prefix: ${prefixes.map(([b, n]) => `${b} ${n}`).join(', ')}`);
  if (replay.templateHashMismatches > 0) {
    const where = replay.mismatchedEntries.map((m) => `#${m.index} at offset ${m.offset}`).join(', ');
    reasons.push(`${replay.templateHashMismatches} template hash(es) do not match their data: ${where}`);
  }
  if (reasons.length > 0) return { ok: false, reasons };
  const verified = { entries: prefixes[0][1], banks: prefixes.map(([b]) => b) } as unknown as VerifiedImaList;
  return { ok: true, verified };
}
