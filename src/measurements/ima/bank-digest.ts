import type { BankAlgorithm } from '../algorithms';
import { digestInto } from '../pcr-bank';
import type { ImaEntry } from './binary';
import { imaTemplateHashInput, IMA_NAME_PADDED } from './template';

/**
 * The template hash of template data in one PCR bank (Linux ima_calc_field_array_hash): the bank's
 * hash over the data as listed; the legacy `ima` template hashes its digest and the name padded to
 * 256 bytes instead.
 */
function templateBankDigest(
  template: string,
  data: Buffer,
  bank: BankAlgorithm,
  scratch: Buffer = Buffer.alloc(20 + IMA_NAME_PADDED),
): Buffer {
  // the TypeScript SHA-1/SHA-256 where the bank has one: no node:crypto call per entry
  const digest = Buffer.allocUnsafe(bank.size);
  if (template !== 'ima') digestInto(bank)(data, 0, data.length, digest, 0);
  else digestInto(bank)(scratch, 0, imaTemplateHashInput(data, 0, data.length, scratch), digest, 0);
  return digest;
}

/** True when an entry's extended value marks a violation (all ones in every bank, Linux ima_add_violation). */
export const isViolationDigest = (digest: Buffer): boolean => digest.every((b) => b === 0xff);

/**
 * What the kernel extends into `bank` for one IMA list entry: the listed template hash in the list's
 * own bank (`listBank`: sha1 for the classic list, the bank of a per-bank list), the bank's hash over
 * the same template data in the others; a violation (all-zero template hash) is extended as all ones.
 */
export function imaBankDigest(e: ImaEntry, bank: BankAlgorithm, scratch?: Buffer, listBank = 'sha1'): Buffer {
  if (e.templateHash.every((b) => b === 0)) return Buffer.alloc(bank.size, 0xff);
  if (bank.name === listBank && e.templateHash.length === bank.size) return Buffer.from(e.templateHash);
  return templateBankDigest(e.template, e.templateData, bank, scratch);
}
