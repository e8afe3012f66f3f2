import type { VerifiedQuote } from '../tpm/verify';
import { bankById } from './algorithms';
import { replayEventLog, pcrsExtended, type EventLogReplay, type UntrustedEventLog } from './eventlog';
import type { ImaBank, ImaReplay } from './ima';
import { comparePcrs, type PcrMismatch, type QuotedPcrs, type ReplayedPcrs } from './pcrs';

/**
 * The one place where measurement evidence becomes trusted (as go-attestation's Verify): a verified
 * quote (src/tpm/verify.ts verifyQuote) makes its PCR values trusted (`quotedPcrs`), and evidence
 * is verified only against trusted values: a replay of component evidence (`verifyReplay`, the
 * Attestation IMV), a firmware event log (`verifyEventLog`) or an IMA list (`verifyImaReplay`).
 * Each Verified* type below is minted here and nowhere else.
 */
declare const verifiedBrand: unique symbol;

/** PCR values proven by a verified quote, by bank name (the shape every replay compares with). */
export function quotedPcrs(quote: VerifiedQuote): QuotedPcrs {
  const out: QuotedPcrs = {};
  for (const [alg, values] of quote.pcrs) {
    const bank = bankById(alg);
    if (!bank) continue; // verifyQuote only proves values of banks it could hash
    out[bank.name] = Object.fromEntries([...values].map(([pcr, v]) => [pcr, v.toString('hex')]));
  }
  return out;
}

/** A replay whose values of `pcrs` are the trusted ones in `banks`. */
export interface VerifiedReplay {
  readonly [verifiedBrand]: true;
  readonly pcrs: readonly number[];
  readonly banks: readonly string[];
}

export type ReplayVerdict =
  { ok: true; verified: VerifiedReplay } | { ok: false; mismatches: PcrMismatch[]; reason: string };

/** Compares replayed PCRs with trusted ones; every PCR of `pcrs` must be present, quoted and reproduced. */
export function verifyReplay(replayed: ReplayedPcrs, quoted: QuotedPcrs, pcrs: readonly number[]): ReplayVerdict {
  const { mismatches, banksCompared } = comparePcrs(replayed, quoted, pcrs);
  if (banksCompared.length === 0)
    return { ok: false, mismatches, reason: 'no bank in common between the quoted PCRs and the replay' };
  const unquoted = pcrs.filter((p) => banksCompared.some((b) => quoted[b][p] === undefined));
  if (unquoted.length > 0) return { ok: false, mismatches, reason: `PCR ${unquoted.join(',')} not quoted` };
  if (mismatches.length > 0) return { ok: false, mismatches, reason: mismatches.map((m) => m.reason).join('; ') };
  return { ok: true, verified: { pcrs: [...pcrs], banks: banksCompared } as unknown as VerifiedReplay };
}

/** An event log whose replay reproduced PCRs the caller took from a verified quote. */
export interface VerifiedEventLog {
  readonly [verifiedBrand]: true;
  readonly log: UntrustedEventLog;
  readonly pcrs: QuotedPcrs;
  readonly banks: string[];
}

export type EventLogVerdict =
  | { ok: true; verified: VerifiedEventLog; replay: EventLogReplay }
  | { ok: false; mismatches: PcrMismatch[]; replay: EventLogReplay; reason: string };

/**
 * Replays the log and compares it with quoted PCRs (by default the PCRs the log extends, in every
 * bank both sides have). Only a full match turns the log into a VerifiedEventLog.
 */
export function verifyEventLog(log: UntrustedEventLog, quoted: QuotedPcrs, pcrs = pcrsExtended(log)): EventLogVerdict {
  const replay = replayEventLog(log);
  const { mismatches, banksCompared } = comparePcrs(replay.pcrs, quoted, pcrs);
  if (banksCompared.length === 0) {
    return { ok: false, mismatches, replay, reason: 'no bank in common between the quoted PCRs and the log' };
  }
  if (mismatches.length > 0) {
    return { ok: false, mismatches, replay, reason: `${mismatches.length} PCR value(s) differ` };
  }
  const verified = { log, pcrs: quoted, banks: banksCompared } as unknown as VerifiedEventLog;
  return { ok: true, verified, replay };
}

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
