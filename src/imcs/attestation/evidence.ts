import type { BankAlgorithm } from '../../measurements/algorithms';
import { PCR_COUNT, PcrBank } from '../../measurements/pcr-bank';
import { EV_NO_ACTION, type UntrustedEventLog } from '../../measurements/eventlog';
import type { ImaEntry, ImaTail } from '../../measurements/ima/binary';
import { readImaBinaryPrefixSync, scanImaBinaryFile } from '../../measurements/ima/stream';
import { imaBankDigest } from '../../measurements/ima/bank-digest';
import { decodeImaFields, IMA_NAME_PADDED } from '../../measurements/ima/template';
import {
  COMP_QUALIFIER,
  ITA_COMP,
  PCR_TRANSFORM,
  SCE_VALIDATION,
  type ComponentName,
  type PcrChange,
  type UntrustedComponentEvidence,
} from '../../protocol/pa-tnc/tcg/pts';
import type { ImaTemplateData } from '../../protocol/pa-tnc/tnc-agent';
import { VENDOR } from '../../protocol/vendors';

/** PTS 5.1 names; strongSwan's ITA "Linux IMA" component, K + trusted platform = the firmware event log. */
export const BIOS_COMPONENT: ComponentName = {
  vendor: VENDOR.ITA,
  family: 0,
  qualifier: COMP_QUALIFIER.KERNEL | 0x01,
  name: ITA_COMP.IMA,
};
/** K + operating system = the IMA runtime measurement list. */
export const IMA_COMPONENT: ComponentName = {
  vendor: VENDOR.ITA,
  family: 0,
  qualifier: COMP_QUALIFIER.KERNEL | 0x02,
  name: ITA_COMP.IMA,
};

/**
 * The PCRs of one bank as this IMC's evidence extends them, so each Simple Component Evidence can
 * carry before/after values and the quote can cover exactly the PCRs the evidence touched.
 */
export class EvidencePcrs {
  private readonly pcrs: PcrBank;

  /** PCR 0 resets to 00..0L after TPM2_Startup at locality L (PFP 10.4.5.3, TPM 2.0 Part 1 17.6.4.4); 4 after an H-CRTM. */
  constructor(
    readonly bank: BankAlgorithm,
    locality: number,
  ) {
    this.pcrs = new PcrBank(bank, locality);
  }

  extend(pcr: number, measurement: Buffer): PcrChange {
    const before = this.pcrs.get(pcr);
    this.pcrs.extend(pcr, measurement);
    return { before, after: this.pcrs.get(pcr) };
  }

  /** PCRs the evidence will extend as it is made: the quote, taken before, covers them. */
  private readonly planned = new Set<number>();

  plan(pcrs: Iterable<number>): void {
    for (const p of pcrs) this.planned.add(p);
  }

  /** PCRs extended so far or planned, ascending. */
  touched(): number[] {
    return [...new Set([...this.pcrs.extended().keys(), ...this.planned])].sort((a, b) => a - b);
  }
}

export interface EvidenceContext {
  readonly pcrs: EvidencePcrs;
  /** PTS measurement algorithm bit of the bank. */
  readonly hashBit: number;
  /** P flag: send PCR before/after values. */
  readonly pcrInfo: boolean;
  /** RFC 3339 UTC time of the measurements (strongSwan: the log file's ctime). */
  readonly time: string;
}

function makeEvidence(
  ctx: EvidenceContext,
  component: ComponentName,
  pcr: number,
  measurement: Buffer,
  policyUri?: string,
): UntrustedComponentEvidence {
  const change = ctx.pcrs.extend(pcr, measurement);
  return {
    validation: policyUri === undefined ? SCE_VALIDATION.NONE : SCE_VALIDATION.PASSED,
    depth: 0,
    component,
    pcr,
    hashAlgorithm: ctx.hashBit,
    // PTS 3.15.1: the measurement is a digest of the bank's own size
    transform: PCR_TRANSFORM.MATCH,
    measurementTime: ctx.time,
    policyUri,
    pcrChange: ctx.pcrInfo ? change : undefined,
    measurement,
  };
}

/** The firmware log's extended events that have a digest in the bank, and how many have none. */
export function biosEvents(
  log: UntrustedEventLog,
  bank: BankAlgorithm,
): { events: { pcr: number; digest: Buffer }[]; missing: number } {
  const events: { pcr: number; digest: Buffer }[] = [];
  let missing = 0;
  for (const e of log.events) {
    // PFP 10.4.5: EV_NO_ACTION events are never extended
    if (e.type === EV_NO_ACTION || e.pcr >= PCR_COUNT) continue;
    const digest = e.digests[bank.name];
    if (digest) events.push({ pcr: e.pcr, digest });
    else missing++;
  }
  return { events, missing };
}

/** One evidence per extended event of the firmware log, with its digest in the bank (PTS 3.15.1), made as pulled. */
export function* biosEvidence(
  events: readonly { pcr: number; digest: Buffer }[],
  ctx: EvidenceContext,
): Generator<UntrustedComponentEvidence> {
  for (const e of events) yield makeEvidence(ctx, BIOS_COMPONENT, e.pcr, e.digest);
}

/** strongSwan's policy URI: "<algo>:<file name>" (ima-ng and later), the bare name for the legacy `ima` template. */
function policyUri(e: ImaEntry): string {
  const f = decodeImaFields(e);
  return e.template === 'ima' ? f.path : `${f.fileDigest.algorithm}:${f.path}`;
}

/** One IMA list entry's evidence, with its template data when the verifier asked for it. */
export interface ImaEvidence {
  readonly evidence: UntrustedComponentEvidence;
  readonly template?: ImaTemplateData;
}

/**
 * What a first pass over a binary IMA list found, without keeping it: the complete entries end at
 * `end` (what the evidence and the quote cover), the PCRs they extend, and the unfinished tail if
 * the list was read mid-write: the verifier decides what the quote makes of it.
 */
export interface ImaListScan {
  readonly path: string;
  /** The bank of the listed template hashes (sha1, or a per-bank list's). */
  readonly listBank: BankAlgorithm;
  readonly end: number;
  readonly entries: number;
  readonly pcrs: ReadonlySet<number>;
  readonly tail?: ImaTail;
}

/** The first pass: frames every entry of the list (no hashing). Throws DecodeError on a malformed entry. */
export async function scanImaList(path: string, listBank: BankAlgorithm): Promise<ImaListScan> {
  const pcrs = new Set<number>();
  let entries = 0;
  const { bytes, tail } = await scanImaBinaryFile(
    path,
    (_buf, _base, _at, f) => {
      pcrs.add(f.pcr);
      entries++;
    },
    { hashSize: listBank.size },
  );
  return { path, listBank, end: bytes - (tail?.length ?? 0), entries, pcrs, tail };
}

/**
 * One evidence per complete entry of a scanned binary IMA list (TCG PTS 3.15, strongSwan's ITA
 * IMA component), made as pulled: the list is read again in chunks up to the scan's end and each
 * entry is dropped once its evidence is made. Throws DecodeError if the list no longer holds what
 * the scan found.
 */
export function* imaEvidence(scan: ImaListScan, ctx: EvidenceContext, withTemplates = false): Generator<ImaEvidence> {
  const scratch = Buffer.alloc(20 + IMA_NAME_PADDED);
  for (const e of readImaBinaryPrefixSync(scan.path, scan.end, scan.listBank.size)) {
    const evidence = makeEvidence(
      ctx,
      IMA_COMPONENT,
      e.pcr,
      imaBankDigest(e, ctx.pcrs.bank, scratch, scan.listBank.name),
      policyUri(e),
    );
    yield withTemplates ? { evidence, template: { template: e.template, data: e.templateData } } : { evidence };
  }
}
