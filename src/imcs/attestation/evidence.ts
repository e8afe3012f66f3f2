import { bankByName, type BankAlgorithm } from '../../measurements/algorithms';
import { PCR_COUNT, PcrBank } from '../../measurements/pcr-bank';
import { EV_NO_ACTION, type UntrustedEventLog } from '../../measurements/eventlog';
import { decodeImaBinaryPrefix, type ImaEntry, type ImaTail } from '../../measurements/ima/binary';
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

const SHA1 = bankByName('sha1')!;

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

  /** PCRs extended so far, ascending. */
  touched(): number[] {
    return [...this.pcrs.extended().keys()];
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

/** One evidence per extended event of the firmware log, with its digest in the bank (PTS 3.15.1). */
export function biosEvidence(
  log: UntrustedEventLog,
  ctx: EvidenceContext,
): { evidence: UntrustedComponentEvidence[]; missing: number } {
  const out: UntrustedComponentEvidence[] = [];
  let missing = 0;
  for (const e of log.events) {
    // PFP 10.4.5: EV_NO_ACTION events are never extended
    if (e.type === EV_NO_ACTION || e.pcr >= PCR_COUNT) continue;
    const digest = e.digests[ctx.pcrs.bank.name];
    if (digest) out.push(makeEvidence(ctx, BIOS_COMPONENT, e.pcr, digest));
    else missing++;
  }
  return { evidence: out, missing };
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
 * One evidence per complete entry of a binary IMA list (TCG PTS 3.15, strongSwan's ITA IMA
 * component), and the unfinished tail if the list was read mid-write: the verifier decides what
 * the quote makes of it. `listBank`: the bank of the listed template hashes (sha1, or a per-bank
 * list's). Throws DecodeError on a malformed entry.
 */
export function imaEvidence(
  list: Buffer,
  ctx: EvidenceContext,
  withTemplates = false,
  listBank: BankAlgorithm = SHA1,
): { evidence: ImaEvidence[]; tail?: ImaTail } {
  const out: ImaEvidence[] = [];
  const scratch = Buffer.alloc(20 + IMA_NAME_PADDED);
  const { entries, tail } = decodeImaBinaryPrefix(list, listBank.size);
  for (const e of entries) {
    const evidence = makeEvidence(
      ctx,
      IMA_COMPONENT,
      e.pcr,
      imaBankDigest(e, ctx.pcrs.bank, scratch, listBank.name),
      policyUri(e),
    );
    out.push(withTemplates ? { evidence, template: { template: e.template, data: e.templateData } } : { evidence });
  }
  return { evidence: out, tail };
}
