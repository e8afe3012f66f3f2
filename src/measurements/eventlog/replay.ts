import { bankByName, canHash } from '../algorithms';
import { PCR_COUNT, PcrBank } from '../pcr-bank';
import type { ReplayedPcrs } from '../pcrs';
import { EV_EFI_HCRTM_EVENT, EV_NO_ACTION } from './event-types';
import type { LogEvent, UntrustedEventLog } from './decode';

export interface EventLogReplay {
  pcrs: ReplayedPcrs;
  /** Why a bank, or part of one, could not be replayed (unknown algorithm, a record without its digest). */
  problems: string[];
}

/** TPM 2.0 Part 1 34.2 / PC Client PFP 10.4.5.3: the locality H-CRTM start-up leaves in PCR 0. */
const HCRTM_LOCALITY = 4;

/**
 * The value PCR 0 starts from: 00..0L for the StartupLocality event's locality L (PFP 10.4.5.3);
 * without one, 00..04 when the log holds an EV_EFI_HCRTM_EVENT in PCR 0 (the H-CRTM sequence
 * resets PCR 0 to locality 4 before it extends the H-CRTM digest); otherwise zeros.
 */
export function pcr0Locality(log: UntrustedEventLog): number {
  if (log.startupLocality !== undefined) return log.startupLocality;
  return log.events.some((e) => e.pcr === 0 && e.type === EV_EFI_HCRTM_EVENT) ? HCRTM_LOCALITY : 0;
}

function replays(e: LogEvent): boolean {
  // PFP 10.4.5: EV_NO_ACTION events are not extended; Windows logs also carry PCR -1 records
  return e.type !== EV_NO_ACTION && e.pcr < PCR_COUNT;
}

/** Replays every extended event, per bank and PCR. The result is only as good as the log: compare it with quoted PCRs. */
export function replayEventLog(log: UntrustedEventLog): EventLogReplay {
  const pcrs: ReplayedPcrs = {};
  const problems: string[] = [];
  const locality = pcr0Locality(log);
  for (const alg of log.algorithms) {
    const bank = bankByName(alg.name);
    if (!bank || !canHash(bank)) {
      problems.push(`bank ${alg.name}: algorithm not supported, not replayed`);
      continue;
    }
    const state = new PcrBank(bank, locality);
    for (const e of log.events) {
      if (!replays(e)) continue;
      const digest = e.digests[bank.name];
      if (!digest) {
        problems.push(`bank ${bank.name}: event #${e.index} (${e.typeName}, PCR ${e.pcr}) has no ${bank.name} digest`);
        continue;
      }
      if (digest.length !== bank.size) {
        problems.push(`bank ${bank.name}: event #${e.index} has a ${digest.length}-byte digest, not ${bank.size}`);
        continue;
      }
      state.extend(e.pcr, digest);
    }
    pcrs[bank.name] = state.hexExtended();
  }
  return { pcrs, problems };
}

/** PCRs the log extends in any bank: the ones its replay can speak for. */
export function pcrsExtended(log: UntrustedEventLog): number[] {
  return [...new Set(log.events.filter(replays).map((e) => e.pcr))].sort((a, b) => a - b);
}
