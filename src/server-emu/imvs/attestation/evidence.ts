import type { Logger } from '../../../log';
import { bootAggregate } from '../../../measurements/ima';
import { colonHex, ITA_COMP, SCE_VALIDATION, type HashAlgInfo, type UntrustedComponentEvidence } from '../../../protocol/pa-tnc/tcg/pts';
import type { Symlink } from '../../../protocol/pa-tnc/ita';
import { VENDOR } from '../../../protocol/vendors';
import type { AttestationStore, ComponentHash } from '../../policy/attestation';
import { ImaLookup, imaTemplateData, parseImaUri, templateHash, type FileVerdict } from './ima-lookup';
import { PCR_COUNT, VirtualPcrs } from './virtual-pcrs';

// protocols.md 6.5: ITA-HSR 'Linux IMA' with qualifier K|trusted platform = BIOS log, K|OS = IMA list
export const QUALIFIER_BIOS = 0x21;
export const QUALIFIER_IMA = 0x22;
const BOOT_AGGREGATE = 'boot_aggregate';

/** Where the checker looks things up: the device (AK) and the product of the session. */
export interface EvidenceContext {
  readonly store: AttestationStore;
  /** devices.id of the attesting device. */
  readonly deviceId: number;
  readonly productId?: number;
  readonly bank: HashAlgInfo;
  readonly locality: number;
  readonly symlinks: readonly Symlink[];
  /** The components requested (TPMRA argument letters B and I, protocols.md 9.2). */
  readonly requested: { readonly bios: boolean; readonly ima: boolean };
  readonly log: Logger;
}

/** What the evidence showed, before the quote says whether any of it is true. */
export interface EvidenceSummary {
  /** Reasons the evidence fails, each one sentence. */
  readonly failures: string[];
  /** The result text parts, as strongSwan writes them. */
  readonly imaText?: string;
  readonly biosText?: string;
  readonly pcrs: VirtualPcrs;
}

type Registration = { component: number; fresh: ComponentHash[] };
/** How a registered measurement sequence compared: first contact, same as registered, or not. */
type Comparison = 'registered' | 'ok' | 'differs';

/**
 * Checks Simple Component Evidence as it streams in (protocols.md 7.2-7.5): replays every entry into
 * the verifier's PCRs, compares BIOS entries with those registered for the AK (registering them on
 * first contact), checks the boot aggregate, and looks each IMA file up in the reference hashes.
 */
export class EvidenceChecker {
  readonly pcrs: VirtualPcrs;
  private readonly lookup: ImaLookup;
  private readonly failures: string[] = [];
  private readonly bios: ComponentHash[] = [];
  private readonly counts: Record<FileVerdict, number> = { ok: 0, unknown: 0, differ: 0, failed: 0 };
  private readonly differing: string[] = [];
  private imaSeen = 0;
  private biosResult?: Comparison;
  private bootAggregateResult?: Comparison;
  private readonly pending: Registration[] = [];

  constructor(private readonly ctx: EvidenceContext) {
    this.pcrs = new VirtualPcrs(ctx.bank, ctx.locality);
    this.lookup = new ImaLookup(ctx.store, ctx.productId, ctx.bank, ctx.symlinks);
    ctx.log.info('PTS', `TPM 2.0 - locality indicator set to ${ctx.locality}`);
  }

  add(e: UntrustedComponentEvidence): void {
    if (!this.acceptable(e)) return;
    const before = this.pcrs.get(e.pcr);
    const after = this.pcrs.extend(e.pcr, e.measurement);
    if (e.pcrChange && (!e.pcrChange.before.equals(before) || !e.pcrChange.after.equals(after))) {
      this.fail(`PCR ${e.pcr} before/after values claimed by the IMC differ from the replay`);
    }
    if (e.component.qualifier === QUALIFIER_BIOS) this.bios.push({ seqNo: this.bios.length + 1, pcr: e.pcr, hash: e.measurement });
    else this.addIma(e);
  }

  private acceptable(e: UntrustedComponentEvidence): boolean {
    const known = e.component.vendor === VENDOR.ITA && e.component.name === ITA_COMP.IMA && (e.component.qualifier === QUALIFIER_BIOS || e.component.qualifier === QUALIFIER_IMA);
    if (!known) return this.fail(`evidence for an unrequested component (vendor ${e.component.vendor}, name ${e.component.name}, qualifier 0x${e.component.qualifier.toString(16)})`);
    if (e.hashAlgorithm !== this.ctx.bank.bit || e.measurement.length !== this.ctx.bank.size) return this.fail(`evidence for PCR ${e.pcr} is not a ${this.ctx.bank.name} measurement`);
    if (e.pcr >= PCR_COUNT) return this.fail(`evidence extends PCR ${e.pcr}, which does not exist`);
    return true;
  }

  private fail(reason: string): false {
    if (!this.failures.includes(reason)) this.failures.push(reason);
    this.ctx.log.info('PTS', reason);
    return false;
  }

  private addIma(e: UntrustedComponentEvidence): void {
    if (this.imaSeen++ === 0) return this.checkBootAggregate(e);
    const uri = e.policyUri === undefined ? undefined : parseImaUri(e.policyUri);
    let verdict: FileVerdict;
    if (!uri || e.validation !== SCE_VALIDATION.PASSED) verdict = 'failed';
    else verdict = this.lookup.check(uri, e.transform, e.measurement);
    this.counts[verdict]++;
    const name = uri?.path ?? '(no file name)';
    if (verdict === 'unknown') this.ctx.log.info('PTS', `${colonHex(e.measurement)} for '${name}' not found`);
    else if (verdict === 'ok') {
      // one per file: format only when the level keeps it (performance.md: logging work the level discards)
      if (this.ctx.log.enabled(2)) this.ctx.log.debug('PTS', `${colonHex(e.measurement)} for '${name}' is ok`);
    }
    else {
      this.ctx.log.info('PTS', `${colonHex(e.measurement)} for '${name}' ${verdict === 'differ' ? 'differs from the reference hashes' : 'failed local validation'}`);
      if (this.differing.length < 5) this.differing.push(name);
    }
  }

  /** The BIOS entries are complete once the IMA list starts: check them, then the boot aggregate (protocols.md 7.3). */
  private checkBootAggregate(e: UntrustedComponentEvidence): void {
    this.checkBios();
    if (this.bios.length === 0) {
      this.ctx.log.info('PTS', 'boot aggregate not checked: no BIOS evidence to compute it from');
      return;
    }
    const uri = e.policyUri === undefined ? undefined : parseImaUri(e.policyUri);
    if (!uri || uri.path !== BOOT_AGGREGATE || !uri.algorithm) {
      this.fail(`the first IMA measurement is '${uri?.path ?? ''}', not a boot_aggregate`);
      return;
    }
    const last = this.ctx.bank.name === 'HASH_SHA1' ? 7 : 9;
    let expected: Buffer;
    try {
      const ba = bootAggregate(uri.algorithm, this.pcrs.hexValues(), last);
      expected = templateHash(this.ctx.bank, e.transform, imaTemplateData(uri, ba));
    } catch (err) {
      this.fail(`boot aggregate cannot be computed: ${(err as Error).message}`);
      return;
    }
    if (!expected.equals(e.measurement)) {
      this.fail(`boot aggregate computed over PCR0..PCR${last} does not match the boot_aggregate measurement`);
      return;
    }
    this.ctx.log.info('PTS', `boot aggregate computed over PCR0..PCR${last} is correct`);
    this.bootAggregateResult = this.compareRegistered(QUALIFIER_IMA, [{ seqNo: 1, pcr: e.pcr, hash: e.measurement }], 'boot aggregate evidence measurement');
  }

  private checkBios(): void {
    if (this.biosResult || this.bios.length === 0) return;
    this.biosResult = this.compareRegistered(QUALIFIER_BIOS, this.bios, 'BIOS evidence measurements', true);
  }

  /** protocols.md 7.5: compare with the device's registered sequence, or register it (trust on first use). */
  private compareRegistered(qualifier: number, got: ComponentHash[], what: string, count = false): Comparison {
    const { store, deviceId, bank } = this.ctx;
    const component = store.componentId(VENDOR.ITA, ITA_COMP.IMA, qualifier)!;
    const existing = store.componentHashes(deviceId, component, bank.bit);
    this.ctx.log.info('PTS', `${existing.length === 0 ? 'registering' : 'checking'} ${count ? `${got.length} ` : ''}${what}`);
    if (existing.length === 0) {
      this.pending.push({ component, fresh: got });
      return 'registered';
    }
    const bad = got.filter((g, i) => !existing[i] || existing[i].pcr !== g.pcr || !existing[i].hash.equals(g.hash));
    if (bad.length > 0) this.fail(`${bad.length} of ${got.length} ${what} differ from the registered ones (first: #${bad[0].seqNo}, PCR ${bad[0].pcr})`);
    if (existing.length > got.length) this.fail(`${existing.length - got.length} of ${existing.length} ${what} missing`);
    return bad.length > 0 || existing.length > got.length ? 'differs' : 'ok';
  }

  /** Ends the evidence: the summary texts and every failure found. */
  finish(): EvidenceSummary {
    this.checkBios();
    if (this.ctx.requested.bios && this.bios.length === 0) this.fail('no BIOS evidence measurements received');
    if (this.ctx.requested.ima && this.imaSeen === 0) this.fail('no IMA evidence measurements received');
    const c = this.counts;
    if (c.differ > 0) this.fail(`${c.differ} IMA file measurements differ from the reference hashes: ${this.differing.join(', ')}`);
    if (c.failed > 0) this.fail(`${c.failed} IMA file measurements failed`);
    const registeredBa = this.bootAggregateResult === 'registered' ? 'registered IMA boot aggregate evidence measurement; ' : '';
    const imaText = this.imaSeen === 0 ? undefined
      : `${registeredBa}processed ${this.imaSeen - 1} IMA file evidence measurements: ${c.ok} ok, ${c.unknown} unknown, ${c.differ} differ, ${c.failed} failed`;
    const n = this.bios.length;
    const biosText = { registered: `registered ${n} BIOS evidence measurements`, ok: `${n} BIOS evidence measurements are ok`, differs: `${n} BIOS evidence measurements checked, not all ok` };
    return { failures: [...this.failures], imaText, biosText: this.biosResult && biosText[this.biosResult], pcrs: this.pcrs };
  }

  /** Stores first-contact registrations; only after the quote proved the evidence (strongSwan rolls back otherwise). */
  commitRegistrations(): void {
    for (const p of this.pending) this.ctx.store.registerComponentHashes(this.ctx.deviceId, p.component, this.ctx.bank.bit, p.fresh);
  }
}
