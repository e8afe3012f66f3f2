import { bankByName, canHash, extend } from '../algorithms';
import { comparePcrs, type PcrMismatch, type QuotedPcrs, type ReplayedPcrs } from '../pcrs';
import { EV_NO_ACTION } from './event-types';
import type { LogEvent, UntrustedEventLog } from './decode';

export interface EventLogReplay {
  pcrs: ReplayedPcrs;
  /** Why a bank, or part of one, could not be replayed (unknown algorithm, a record without its digest). */
  problems: string[];
}

const IMPLEMENTED_PCRS = 24;

/** PFP 10.4.5.3: PCR 0 starts at 00..00LL when a StartupLocality event gives locality LL, else all zeros. */
function initialValue(size: number, pcr: number, locality: number | undefined): Buffer {
  const v = Buffer.alloc(size);
  if (pcr === 0 && locality !== undefined) v[size - 1] = locality;
  return v;
}

function replays(e: LogEvent): boolean {
  // PFP 10.4.5: EV_NO_ACTION events are not extended; Windows logs also carry PCR -1 records
  return e.type !== EV_NO_ACTION && e.pcr < IMPLEMENTED_PCRS;
}

/** Replays every extended event, per bank and PCR. The result is only as good as the log: compare it with quoted PCRs. */
export function replayEventLog(log: UntrustedEventLog): EventLogReplay {
  const pcrs: ReplayedPcrs = {};
  const problems: string[] = [];
  for (const alg of log.algorithms) {
    const bank = bankByName(alg.name);
    if (!bank || !canHash(bank)) {
      problems.push(`bank ${alg.name}: algorithm not supported, not replayed`);
      continue;
    }
    const state = new Map<number, Buffer>();
    for (const e of log.events) {
      if (!replays(e)) continue;
      const digest = e.digests[bank.name];
      if (!digest) {
        problems.push(`bank ${bank.name}: event #${e.index} (${e.typeName}, PCR ${e.pcr}) has no ${bank.name} digest`);
        continue;
      }
      state.set(e.pcr, extend(bank, state.get(e.pcr) ?? initialValue(bank.size, e.pcr, log.startupLocality), digest));
    }
    pcrs[bank.name] = Object.fromEntries([...state].map(([pcr, v]) => [pcr, v.toString('hex')]));
  }
  return { pcrs, problems };
}

declare const verifiedBrand: unique symbol;

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

/** PCRs the log extends in any bank: the ones its replay can speak for. */
export function pcrsExtended(log: UntrustedEventLog): number[] {
  return [...new Set(log.events.filter(replays).map((e) => e.pcr))].sort((a, b) => a - b);
}

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
