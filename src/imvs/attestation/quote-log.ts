import { createHash } from 'node:crypto';
import type { Logger } from '../../log';
import { hashAlgInfo } from '../../protocol/pa-tnc/tcg/pts';

/**
 * What the verifier rebuilt to check a TPM 2.0 quote (TCG PTS 3.15.2), dumped at level 3 as
 * strongSwan does: the PCR composite (the PCR values concatenated in ascending PCR order, TPM 2.0
 * Part 3 18.4), its digest under the composite hash algorithm (a PTS measurement algorithm bit),
 * and the TPM Quote Info (the TPMS_ATTEST the signature covers).
 */
export function logConstructedQuote(
  log: Logger,
  pcrs: ReadonlyMap<number, Buffer>,
  compositeHashAlgorithm: number,
  quoteInfo: Buffer,
): void {
  if (!log.enabled(3)) return;
  const composite = Buffer.concat([...pcrs.keys()].sort((a, b) => a - b).map((i) => pcrs.get(i)!));
  log.dump(3, 'PTS', 'constructed PCR Composite', composite);
  const hash = hashAlgInfo(compositeHashAlgorithm);
  if (hash) log.dump(3, 'PTS', 'constructed PCR Composite digest', createHash(hash.node).update(composite).digest());
  log.dump(3, 'PTS', 'constructed TPM Quote Info', quoteInfo);
}
