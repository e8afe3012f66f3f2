import { bankByName, canHash, digestOf } from '../algorithms';
import type { PcrValues } from '../pcrs';
import type { ImaEntry } from './binary';
import { decodeImaFields } from './template';

/**
 * ima_crypto.c ima_calc_boot_aggregate: H(PCR0 || ... || PCR7) in the bank of IMA's hash, and
 * since Linux 5.8 also PCR8 and PCR9 for every bank but SHA-1. A PCR missing from `pcrs` counts as zeros.
 */
export function bootAggregate(bankName: string, pcrs: Record<number, string>, lastPcr: 7 | 9): Buffer {
  const bank = bankByName(bankName);
  if (!bank || !canHash(bank)) throw new RangeError(`boot aggregate: unsupported bank ${bankName}`);
  const parts: Buffer[] = [];
  for (let i = 0; i <= lastPcr; i++) parts.push(pcrs[i] ? Buffer.from(pcrs[i], 'hex') : Buffer.alloc(bank.size));
  return digestOf(bank, Buffer.concat(parts));
}

export interface BootAggregateCheck {
  ok: boolean;
  /** match; mismatch; or cannot-check when the PCR values lack the aggregate's bank. */
  status: 'match' | 'mismatch' | 'cannot-check';
  bank: string;
  /** The PCR range that reproduced the listed value, when one did. */
  range?: 'PCR0-7' | 'PCR0-9';
  listed: string;
  reason: string;
}

/** Checks the first entry of an IMA list (boot_aggregate) against PCR values (quoted, or a verified event log's). */
export function checkBootAggregate(first: ImaEntry, pcrs: PcrValues): BootAggregateCheck {
  const { fileDigest, path } = decodeImaFields(first);
  const bank = fileDigest.algorithm;
  const listed = fileDigest.digest.toString('hex');
  const fail = (reason: string, status: BootAggregateCheck['status'] = 'mismatch'): BootAggregateCheck => ({
    ok: false,
    status,
    bank,
    listed,
    reason,
  });
  if (path !== 'boot_aggregate') return fail(`first entry is '${path}', not boot_aggregate`);
  if (/^0+$/.test(listed)) return fail('boot_aggregate is all zeros: IMA found no TPM at boot');
  const values = pcrs[bank];
  if (!values) return fail(`no ${bank} PCR values to check the boot_aggregate against`, 'cannot-check');
  // the kernel's rule first (SHA-1: PCR0-7, others PCR0-9), then the other range (kernels before 5.8)
  const ranges: (7 | 9)[] = bank === 'sha1' ? [7, 9] : [9, 7];
  for (const last of ranges) {
    if (bootAggregate(bank, values, last).toString('hex') === listed) {
      const range = last === 7 ? 'PCR0-7' : 'PCR0-9';
      return { ok: true, status: 'match', bank, range, listed, reason: `boot_aggregate matches ${bank} over ${range}` };
    }
  }
  return fail(`boot_aggregate ${listed} matches neither ${bank}(PCR0-7) nor ${bank}(PCR0-9)`);
}
