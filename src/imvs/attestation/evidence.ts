import type { Logger } from '../../log';
import {
  bootAggregate,
  checkImaSignature,
  isViolationDigest,
  type ImaKeyring,
  type SignatureVerdict,
} from '../../measurements/ima';
import {
  colonHex,
  ITA_COMP,
  SCE_VALIDATION,
  type HashAlgInfo,
  type UntrustedComponentEvidence,
} from '../../protocol/pa-tnc/tcg/pts';
import type { ImaTemplateData } from '../../protocol/pa-tnc/tnc-agent';
import type { Symlink } from '../../protocol/pa-tnc/ita';
import { VENDOR } from '../../protocol/vendors';
import type { AttestationView, ComponentHash } from '../../policy/attestation';
import { bindTemplateData, type BoundImaClaim } from './ima-binding';
import { ImaLookup, matchesUnbound, parseImaUri, type FileVerdict } from './ima-lookup';
import { PCR_COUNT, VirtualPcrs } from './virtual-pcrs';
import type { VerifiedAttestation } from './verdict';

// strongSwan's ITA-HSR 'Linux IMA' component: qualifier K|trusted platform = firmware log, K|OS = IMA list
export const QUALIFIER_BIOS = 0x21;
export const QUALIFIER_IMA = 0x22;
const BOOT_AGGREGATE = 'boot_aggregate';
/** Linux IMA extends every measurement into CONFIG_IMA_MEASURE_PCR_IDX, 10. */
export const IMA_PCR = 10;
/**
 * TCG PC Client PFP 3.3.4: PCRs 0-7 hold the platform firmware's measurements, 8-9 the boot loader's
 * (GRUB, systemd-boot); the IMA boot aggregate covers 0-9 (0-7 in the SHA-1 bank).
 */
export const DEFAULT_PLATFORM_PCRS: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

/** Where the checker looks things up: the device (AK) and the product of the session. */
export interface EvidenceContext {
  /** What the IMV loaded for this message (reference hashes, registered measurements); writes wait for its flush. */
  readonly store: AttestationView;
  /** devices.id of the device whose AK was verified. */
  readonly deviceId: number;
  readonly productId?: number;
  readonly bank: HashAlgInfo;
  readonly locality: number;
  readonly symlinks: readonly Symlink[];
  /** The components requested (TPMRA argument letters B and I). */
  readonly requested: { readonly bios: boolean; readonly ima: boolean };
  /** PCRs firmware (BIOS) evidence may extend. */
  readonly platformPcrs: ReadonlySet<number>;
  /** True: an IMA file without reference hashes whose name no template data binds is a failure. */
  readonly failUnboundUnknown: boolean;
  /** IMA signing certificates by key id: when given, each bound file's signature (ima-sig sig field) is checked. */
  readonly imaKeys?: ImaKeyring;
  /** Which signature verdicts fail the attestation: 'bad' (default), or 'not-ok' (also missing, unknown key, unsupported). */
  readonly imaSignaturePolicy?: 'bad' | 'not-ok';
  readonly log: Logger;
}

/** What the evidence showed, before the quote says whether any of it is true. */
export interface EvidenceSummary {
  /** Reasons the evidence fails, each one sentence. */
  readonly failures: string[];
  readonly pcrs: VirtualPcrs;
}

type Registration = { component: number; fresh: ComponentHash[] };
/** How a registered measurement sequence compared: first contact, same as registered, or not. */
type Comparison = 'registered' | 'ok' | 'differs';
const BIOS_TEXT: Record<Comparison, (n: number, registered: boolean) => string> = {
  registered: (n, registered) =>
    registered ? `registered ${n} BIOS evidence measurements` : `${n} BIOS evidence measurements not registered`,
  ok: (n) => `${n} BIOS evidence measurements are ok`,
  differs: (n) => `${n} BIOS evidence measurements checked, not all ok`,
};

/** Per-file lines a kind logs at level 1 before the rest go to level 2 (the counts are in the result text). */
export const FIRST_FEW = 5;
/** The per-file findings that are logged one line each: at level 1 only the first few of each kind. */
type FileFinding = 'unknown' | 'differ' | 'failed' | 'signature';
const FINDING_TEXT: Record<FileFinding, string> = {
  unknown: 'IMA files not found in the reference hashes',
  differ: 'IMA files that differ from the reference hashes',
  failed: 'IMA file measurements that failed',
  signature: 'IMA signatures that fail the attestation',
};

const range = (pcrs: ReadonlySet<number>): string => [...pcrs].sort((a, b) => a - b).join(',');

/**
 * Checks Simple Component Evidence as it streams in (TCG PTS 3.15, strongSwan's ITA IMA component):
 * replays every entry into the verifier's PCRs, and holds each to where it may be: firmware evidence
 * only in the platform PCRs and all of it before the first IMA entry; IMA evidence only in PCR 10,
 * starting with the boot aggregate, which is checked against the replayed platform PCRs whenever
 * firmware evidence was requested. Firmware entries are compared with those registered for the AK
 * (registered on first contact); IMA files are looked up in the product's reference hashes by the
 * name and digest that their template data binds to the extended value.
 */
export class EvidenceChecker {
  readonly pcrs: VirtualPcrs;
  private readonly lookup: ImaLookup;
  private readonly failures: string[] = [];
  private readonly bios: ComponentHash[] = [];
  private readonly counts: Record<FileVerdict | 'unbound', number> = {
    ok: 0,
    unknown: 0,
    differ: 0,
    failed: 0,
    unbound: 0,
  };
  private readonly differing: string[] = [];
  /** Per signature verdict: how many, and the first few names (the list is not kept). */
  private readonly signatures: Record<SignatureVerdict, { count: number; first: string[] }> = {
    ok: { count: 0, first: [] },
    bad: { count: 0, first: [] },
    missing: { count: 0, first: [] },
    'unknown-key': { count: 0, first: [] },
    unsupported: { count: 0, first: [] },
  };
  private readonly findings: Record<FileFinding, number> = { unknown: 0, differ: 0, failed: 0, signature: 0 };
  private readonly failing: string[] = [];
  private imaSeen = 0;
  private pendingIma?: UntrustedComponentEvidence;
  private biosResult?: Comparison;
  private bootAggregateResult?: Comparison;
  private readonly pending: Registration[] = [];

  constructor(private readonly ctx: EvidenceContext) {
    this.pcrs = new VirtualPcrs(ctx.bank, ctx.locality);
    this.lookup = new ImaLookup(ctx.store, ctx.productId, ctx.bank, ctx.symlinks);
    ctx.log.info('PTS', `TPM 2.0 - locality indicator set to ${ctx.locality}`);
  }

  add(e: UntrustedComponentEvidence): void {
    if (!this.wellFormed(e)) return;
    this.replay(e);
    if (e.component.qualifier === QUALIFIER_BIOS) this.addBios(e);
    else this.addIma(e);
  }

  /** The template data of the IMA entry just received (tnc-agent IMA Template Data). */
  addTemplateData(t: ImaTemplateData): void {
    const e = this.pendingIma;
    if (!e) return void this.fail('IMA template data without an IMA measurement before it');
    this.pendingIma = undefined;
    const bound = bindTemplateData(t, e.measurement, this.ctx.bank, e.transform);
    if (typeof bound === 'string') this.judgeFailed(bound);
    else this.judgeIma(e, bound);
  }

  private wellFormed(e: UntrustedComponentEvidence): boolean {
    const c = e.component;
    const bios = c.qualifier === QUALIFIER_BIOS && this.ctx.requested.bios;
    const ima = c.qualifier === QUALIFIER_IMA && this.ctx.requested.ima;
    if (c.vendor !== VENDOR.ITA || c.name !== ITA_COMP.IMA || !(bios || ima)) {
      return this.fail(
        `evidence for an unrequested component (vendor ${c.vendor}, name ${c.name}, qualifier 0x${c.qualifier.toString(16)})`,
      );
    }
    if (e.hashAlgorithm !== this.ctx.bank.bit || e.measurement.length !== this.ctx.bank.size)
      return this.fail(`evidence for PCR ${e.pcr} is not a ${this.ctx.bank.name} measurement`);
    if (e.pcr >= PCR_COUNT) return this.fail(`evidence extends PCR ${e.pcr}, which does not exist`);
    return true;
  }

  private replay(e: UntrustedComponentEvidence): void {
    const before = this.pcrs.get(e.pcr);
    const after = this.pcrs.extend(e.pcr, e.measurement);
    if (e.pcrChange && (!e.pcrChange.before.equals(before) || !e.pcrChange.after.equals(after))) {
      this.fail(`PCR ${e.pcr} before/after values claimed by the IMC differ from the replay`);
    }
  }

  private addBios(e: UntrustedComponentEvidence): void {
    if (!this.ctx.platformPcrs.has(e.pcr))
      return void this.fail(
        `BIOS evidence extends PCR ${e.pcr}, outside the platform PCRs ${range(this.ctx.platformPcrs)}`,
      );
    if (this.imaSeen > 0 || this.pendingIma)
      return void this.fail('BIOS evidence after the first IMA evidence measurement');
    this.bios.push({ seqNo: this.bios.length + 1, pcr: e.pcr, hash: e.measurement });
  }

  private addIma(e: UntrustedComponentEvidence): void {
    if (e.pcr !== IMA_PCR) return void this.fail(`IMA evidence extends PCR ${e.pcr}, not the IMA PCR ${IMA_PCR}`);
    this.flushIma();
    this.pendingIma = e;
  }

  /** The entry before has no template data: judge it by its policy URI alone. */
  private flushIma(): void {
    const e = this.pendingIma;
    this.pendingIma = undefined;
    if (e) this.judgeIma(e, undefined);
  }

  private fail(reason: string): false {
    if (!this.failures.includes(reason)) this.failures.push(reason);
    this.ctx.log.info('PTS', reason);
    return false;
  }

  private judgeIma(e: UntrustedComponentEvidence, bound: BoundImaClaim | undefined): void {
    if (this.imaSeen++ === 0) return this.checkBootAggregate(e, bound);
    const uri = e.policyUri === undefined ? undefined : parseImaUri(e.policyUri);
    const name = bound?.path ?? uri?.path ?? '(no file name)';
    if (isViolationDigest(e.measurement)) return this.judgeFailed(`IMA measurement violation for '${name}'`);
    if (!uri || e.validation !== SCE_VALIDATION.PASSED) return this.judgeFailed(`'${name}' failed local validation`);
    if (bound && bound.path !== uri.path)
      return this.judgeFailed(`policy URI names '${uri.path}', but the measured file is '${bound.path}'`);
    const algorithm = bound?.algorithm ?? uri.algorithm ?? 'sha1';
    // TCG PTS 3.9: the negotiated measurement algorithm is the one file measurements use
    if (algorithm !== this.ctx.bank.node)
      return this.judgeFailed(`'${name}' is measured with ${algorithm}, not the negotiated ${this.ctx.bank.node}`);
    const verdict = bound ? this.lookup.checkBound(bound) : this.lookup.check(uri, e.transform, e.measurement);
    this.count(verdict === 'unknown' && !bound ? 'unbound' : verdict, e, name, algorithm);
    if (bound && this.ctx.imaKeys) this.checkSignature(bound);
  }

  /** The file's IMA signature against the signing certificates (Linux digsig_asymmetric.c, as the kernel's appraisal would). */
  private checkSignature(bound: BoundImaClaim): void {
    const { verdict, detail } = checkImaSignature(bound.signature, bound.algorithm, bound.digest, this.ctx.imaKeys!);
    const g = this.signatures[verdict];
    if (g.count++ < FIRST_FEW) g.first.push(bound.path);
    const line = () => `IMA signature of '${bound.path}' is ${verdict.replace('-', ' ')}: ${detail}`;
    // the ones that fail the attestation are findings (the first few at level 1), the others at level 2
    if (this.failingSignatures().includes(verdict)) this.logFinding('signature', line);
    else if (this.ctx.log.enabled(2)) this.ctx.log.debug('PTS', line());
  }

  /** One line per finding at level 2; at level 1 the first few of each kind (finish() says how many more). */
  private logFinding(kind: FileFinding, line: () => string): void {
    const log = this.ctx.log;
    const level = this.findings[kind]++ < FIRST_FEW ? 1 : 2;
    if (log.enabled(level)) log.log(level, 'PTS', line());
  }

  /** At level 1: how many per-file lines of each kind were left to level 2. */
  private logFindingsLeftOut(): void {
    const log = this.ctx.log;
    if (log.enabled(2)) return;
    for (const kind of Object.keys(this.findings) as FileFinding[]) {
      const more = this.findings[kind] - FIRST_FEW;
      if (more > 0) log.info('PTS', `${more} more ${FINDING_TEXT[kind]} (each one at log level 2)`);
    }
  }

  private judgeFailed(reason: string): void {
    if (this.imaSeen++ === 0)
      return void this.fail(`the first IMA evidence measurement is not a usable boot_aggregate: ${reason}`);
    this.logFinding('failed', () => reason);
    if (this.failing.length < FIRST_FEW) this.failing.push(reason);
    this.counts.failed++;
  }

  private count(
    verdict: FileVerdict | 'unbound',
    e: UntrustedComponentEvidence,
    name: string,
    algorithm: string,
  ): void {
    this.counts[verdict]++;
    this.ctx.store.recordImaFile(this.ctx.deviceId, {
      path: name,
      verdict: verdict === 'unbound' ? 'unknown' : verdict,
      algorithm,
      measurement: e.measurement,
    });
    const log = this.ctx.log;
    if (verdict === 'ok') {
      // one per file: format only when the level keeps it
      if (log.enabled(2)) log.debug('PTS', `${colonHex(e.measurement)} for '${name}' is ok`);
    } else if (verdict === 'differ') {
      this.logFinding('differ', () => `${colonHex(e.measurement)} for '${name}' differs from the reference hashes`);
      if (this.differing.length < FIRST_FEW) this.differing.push(name);
    } else {
      const unbound = verdict === 'unbound' ? ' (name not bound by template data)' : '';
      this.logFinding('unknown', () => `${colonHex(e.measurement)} for '${name}' not found${unbound}`);
    }
  }

  /** The first IMA entry: the boot aggregate over the replayed platform PCRs (Linux ima_calc_boot_aggregate). */
  private checkBootAggregate(e: UntrustedComponentEvidence, bound: BoundImaClaim | undefined): void {
    this.checkBios();
    const uri = e.policyUri === undefined ? undefined : parseImaUri(e.policyUri);
    const name = bound?.path ?? uri?.path;
    const algorithm = bound?.algorithm ?? uri?.algorithm;
    if (name !== BOOT_AGGREGATE || !algorithm)
      return void this.fail(`the first IMA evidence measurement is '${name ?? ''}', not a boot_aggregate`);
    if (!this.ctx.requested.bios) return this.compareBootAggregate(e);
    if (this.bios.length === 0)
      return void this.fail('IMA evidence before any BIOS evidence: the boot aggregate cannot be checked');
    const last = this.ctx.bank.name === 'HASH_SHA1' ? 7 : 9;
    let matches: boolean;
    try {
      const ba = bootAggregate(algorithm, this.pcrs.hexValues(), last);
      matches = bound
        ? bound.digest.equals(ba)
        : matchesUnbound(this.ctx.bank, e.transform, { algorithm, path: name }, ba, e.measurement);
    } catch (err) {
      return void this.fail(`boot aggregate cannot be computed: ${(err as Error).message}`);
    }
    if (!matches)
      return void this.fail(
        `boot aggregate computed over PCR0..PCR${last} does not match the boot_aggregate measurement`,
      );
    this.ctx.log.info('PTS', `boot aggregate computed over PCR0..PCR${last} is correct`);
    this.compareBootAggregate(e);
  }

  /** The boot aggregate against the one registered for the AK (registered on first contact only with BIOS evidence). */
  private compareBootAggregate(e: UntrustedComponentEvidence): void {
    const got = [{ seqNo: 1, pcr: e.pcr, hash: e.measurement }];
    if (!this.ctx.requested.bios && this.registered(QUALIFIER_IMA).length === 0) {
      this.ctx.log.info('PTS', 'boot aggregate not checked: BIOS evidence was not requested and none is registered');
      return;
    }
    this.bootAggregateResult = this.compareRegistered(QUALIFIER_IMA, got, 'boot aggregate evidence measurement');
  }

  /** Every BIOS entry, compared once: they all precede the first IMA entry. */
  private checkBios(): void {
    if (this.biosResult || this.bios.length === 0) return;
    this.biosResult = this.compareRegistered(QUALIFIER_BIOS, this.bios, 'BIOS evidence measurements', true);
  }

  private registered(qualifier: number): ComponentHash[] {
    const { store, deviceId, bank } = this.ctx;
    const component = store.componentId(VENDOR.ITA, ITA_COMP.IMA, qualifier);
    return component === undefined ? [] : store.componentHashes(deviceId, component, bank.bit);
  }

  /** Compares with the device's registered sequence, or registers it (trust on first use). */
  private compareRegistered(qualifier: number, got: ComponentHash[], what: string, count = false): Comparison {
    const existing = this.registered(qualifier);
    this.ctx.log.info(
      'PTS',
      `${existing.length === 0 ? 'registering' : 'checking'} ${count ? `${got.length} ` : ''}${what}`,
    );
    if (existing.length === 0) {
      const component = this.ctx.store.componentId(VENDOR.ITA, ITA_COMP.IMA, qualifier);
      if (component === undefined)
        return (this.fail(`no component registry entry for qualifier 0x${qualifier.toString(16)}`), 'differs');
      this.pending.push({ component, fresh: got });
      return 'registered';
    }
    const bad = got.filter((g, i) => !existing[i] || existing[i].pcr !== g.pcr || !existing[i].hash.equals(g.hash));
    if (bad.length > 0)
      this.fail(
        `${bad.length} of ${got.length} ${what} differ from the registered ones (first: #${bad[0].seqNo}, PCR ${bad[0].pcr})`,
      );
    if (existing.length > got.length)
      this.fail(`${existing.length - got.length} of ${existing.length} ${what} missing`);
    return bad.length > 0 || existing.length > got.length ? 'differs' : 'ok';
  }

  /** Ends the evidence: the summary texts and every failure found. */
  finish(): EvidenceSummary {
    this.flushIma();
    this.logFindingsLeftOut();
    this.checkBios();
    if (this.ctx.requested.bios && this.bios.length === 0) this.fail('no BIOS evidence measurements received');
    if (this.ctx.requested.ima && this.imaSeen === 0) this.fail('no IMA evidence measurements received');
    const c = this.counts;
    if (c.differ > 0)
      this.fail(`${c.differ} IMA file measurements differ from the reference hashes: ${this.differing.join(', ')}`);
    if (c.failed > 0) this.fail(`${c.failed} IMA file measurements failed: ${this.failing.join('; ')}`);
    this.signatureFailures();
    if (c.unbound > 0 && this.ctx.failUnboundUnknown) {
      this.fail(
        `${c.unbound} IMA file measurements without reference hashes are not bound to their names (no IMA template data)`,
      );
    }
    return { failures: [...this.failures], pcrs: this.pcrs };
  }

  private failingSignatures(): readonly SignatureVerdict[] {
    return this.ctx.imaSignaturePolicy === 'not-ok' ? ['bad', 'missing', 'unknown-key', 'unsupported'] : ['bad'];
  }

  private signatureFailures(): void {
    for (const v of this.failingSignatures()) {
      const { count, first } = this.signatures[v];
      if (count > 0) this.fail(`${count} IMA file signatures are ${v.replace('-', ' ')}: ${first.join(', ')}`);
    }
  }

  /** The result text parts as strongSwan writes them; `registered`: first-contact sequences were stored. */
  texts(registered: boolean): string[] {
    const c = this.counts;
    const out: string[] = [];
    if (this.imaSeen > 0) {
      const ba =
        registered && this.bootAggregateResult === 'registered'
          ? 'registered IMA boot aggregate evidence measurement; '
          : '';
      out.push(
        `${ba}processed ${this.imaSeen - 1} IMA file evidence measurements: ${c.ok} ok, ${c.unknown + c.unbound} unknown, ${c.differ} differ, ${c.failed} failed`,
      );
    }
    if (this.biosResult) out.push(BIOS_TEXT[this.biosResult](this.bios.length, registered));
    if (this.ctx.imaKeys) {
      const g = this.signatures;
      out.push(
        `IMA signatures: ${g.ok.count} ok, ${g.bad.count} bad, ${g.missing.count} missing, ${g['unknown-key'].count} unknown key, ${g.unsupported.count} unsupported`,
      );
    }
    return out;
  }

  /** Stores first-contact registrations; only once the quote proved the evidence (strongSwan rolls back otherwise). */
  commitRegistrations(_proof: VerifiedAttestation): void {
    for (const p of this.pending)
      this.ctx.store.registerComponentHashes(this.ctx.deviceId, p.component, this.ctx.bank.bit, p.fresh);
  }
}
