import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bankById, canHash, type BankAlgorithm } from '../measurements/algorithms';
import { decodeEventLog, EV_NO_ACTION, pcr0Locality, type UntrustedEventLog } from '../measurements/eventlog';
import { iterateImaBinary } from '../measurements/ima/binary';
import { imaBankDigest } from '../measurements/ima/bank-digest';
import type { EvidencePaths } from '../imcs/attestation/options';
import type { Logger } from '../log';
import type { Tpm } from '../tpm/tpm';
import { reinitAtLocality, swtpmEndpoint } from './swtpm-control';

/**
 * Lab evidence mode: a recorded machine's firmware event log and IMA list are replayed into a
 * software TPM's PCRs, so that a quote from that TPM matches the evidence the IMC reports from
 * the same files. Never against a hardware TPM: its PCRs record the real boot and must stay so.
 */

/** Refused: a hardware TPM, or a software TPM whose PCRs are not in their reset state. */
export class LabEvidenceRefused extends Error {
  override readonly name = 'LabEvidenceRefused';
}

/** The recorded files of a lab evidence directory, as Attestation IMC paths. */
export function labEvidencePaths(dir: string): Pick<EvidencePaths, 'bootEventLog' | 'imaList'> {
  return { bootEventLog: join(dir, 'binary_bios_measurements'), imaList: join(dir, 'binary_runtime_measurements') };
}

/** Only swtpm and the Microsoft simulator (mssim) TCTIs are software TPMs we may extend. */
export function assertSoftwareTpm(tcti: string): void {
  if (!/^(swtpm|mssim)(:|$)/.test(tcti)) {
    throw new LabEvidenceRefused(
      `lab evidence mode extends PCRs, so it runs only on a software TPM (swtpm:... or mssim:...), not on '${tcti}'`,
    );
  }
}

export interface LabEvidenceSummary {
  biosEvents: number;
  imaEntries: number;
  /** Startup locality the PCRs were reset at (the log's StartupLocality event, else 0). */
  locality: number;
  /** TPM banks extended. */
  banks: string[];
}

async function tpmBanks(tpm: Tpm): Promise<BankAlgorithm[]> {
  return (await tpm.banks())
    .filter((s) => s.pcrs.length > 0)
    .map((s) => bankById(s.hash))
    .filter((b): b is BankAlgorithm => !!b && canHash(b));
}

function resetValue(bank: BankAlgorithm, pcr: number, locality: number): Buffer {
  const v = Buffer.alloc(bank.size);
  if (pcr === 0) v[v.length - 1] = locality;
  return v;
}

/** PCRs the evidence extends must hold their reset values, or the replay would not match. */
async function checkReset(
  tpm: Tpm,
  banks: BankAlgorithm[],
  pcrs: number[],
  locality: number,
): Promise<string | undefined> {
  for (const bank of banks) {
    for (const [pcr, v] of await tpm.pcrRead(bank.id, pcrs)) {
      if (!v.equals(resetValue(bank, pcr, locality))) return `PCR ${pcr} (${bank.name}) is ${v.toString('hex')}`;
    }
  }
  return undefined;
}

/**
 * StartupLocality (PFP 10.4.5.3): a platform that starts the TPM at locality 3 leaves PCR 0 at
 * 00..03. swtpm starts at locality 0; when the log says otherwise and PCR 0 is still all zeros,
 * the TPM is re-initialized through swtpm's control channel and started again at that locality.
 * The Microsoft simulator has no such channel: there the log must say locality 0 (or nothing).
 */
async function matchLocality(
  tpm: Tpm,
  tcti: string,
  banks: BankAlgorithm[],
  locality: number,
  log: Logger,
): Promise<void> {
  const pcr0 = (await tpm.pcrRead(banks[0].id, [0])).get(0)!;
  if (pcr0.equals(resetValue(banks[0], 0, locality))) return;
  const ep = swtpmEndpoint(tcti);
  if (!ep || !pcr0.equals(resetValue(banks[0], 0, 0))) {
    throw new LabEvidenceRefused(
      `the event log starts the TPM at locality ${locality}, but PCR 0 is ${pcr0.toString('hex')}: start a fresh ${ep ? 'swtpm' : 'swtpm (mssim cannot change locality)'}`,
    );
  }
  log.info('PTS', `lab evidence: restarting swtpm at startup locality ${locality}`);
  await reinitAtLocality(ep, locality);
  await tpm.startup();
}

function extendedEvents(log: UntrustedEventLog) {
  // PFP 10.4.5: EV_NO_ACTION is never extended
  return log.events.filter((e) => e.type !== EV_NO_ACTION && e.pcr < 24);
}

/** Extends a fresh software TPM with a recorded boot: every firmware event, then every IMA entry. */
export async function extendLabEvidence(tpm: Tpm, tcti: string, dir: string, log: Logger): Promise<LabEvidenceSummary> {
  assertSoftwareTpm(tcti);
  const paths = labEvidencePaths(dir);
  const [bios, ima] = await Promise.all([readFile(paths.bootEventLog), readFile(paths.imaList)]);
  const eventLog = decodeEventLog(bios);
  const events = extendedEvents(eventLog);
  const entries = [...iterateImaBinary(ima)];
  const banks = await tpmBanks(tpm);
  if (banks.length === 0) throw new LabEvidenceRefused('the TPM has no PCR bank this agent can compute');
  const locality = pcr0Locality(eventLog);
  await matchLocality(tpm, tcti, banks, locality, log);
  const pcrs = [...new Set([...events.map((e) => e.pcr), ...entries.map((e) => e.pcr)])];
  const dirty = await checkReset(tpm, banks, pcrs, locality);
  if (dirty)
    throw new LabEvidenceRefused(
      `the TPM's PCRs were extended already (${dirty}): lab evidence needs a freshly started swtpm`,
    );
  for (const e of events) {
    const digests = banks.filter((b) => e.digests[b.name]).map((b) => ({ hash: b.id, digest: e.digests[b.name] }));
    if (digests.length > 0) await tpm.pcrExtend(e.pcr, digests);
  }
  // the kernel extends each IMA entry into every bank (Linux Documentation/security/IMA-templates.rst; ima_pcr_extend in security/integrity/ima/ima_queue.c)
  for (const e of entries)
    await tpm.pcrExtend(
      e.pcr,
      banks.map((b) => ({ hash: b.id, digest: imaBankDigest(e, b) })),
    );
  log.info(
    'PTS',
    `lab evidence: extended ${events.length} BIOS events and ${entries.length} IMA entries from '${dir}' into ${banks.map((b) => b.name).join(', ')}`,
  );
  return { biosEvents: events.length, imaEntries: entries.length, locality, banks: banks.map((b) => b.name) };
}
