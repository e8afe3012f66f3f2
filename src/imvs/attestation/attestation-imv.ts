import { DhKeyPair, ptsSecret } from '../../imcv/pts/dh';
import { ATTESTATION_CODECS } from '../../imcv/codecs/attestation';
import { Agent, AgentState } from '../../imcv/agent';
import type { PaPort, ReceivedPa } from '../../imcv/pa-port';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import { AssessmentResultAttr, ASSESSMENT_RESULT } from '../../protocol/pa-tnc/ietf/assessment';
import { PaTncErrorAttr, paTncErrorName } from '../../protocol/pa-tnc/ietf/pa-tnc-error';
import { GetSymlinksAttr, SymlinksAttr, type Symlink } from '../../protocol/pa-tnc/ita';
import * as pts from '../../protocol/pa-tnc/tcg/pts';
import { ImaTemplateDataAttr, RequestImaTemplateDataAttr } from '../../protocol/pa-tnc/tnc-agent';
import { PA_SUBTYPE, VENDOR } from '../../protocol/vendors';
import { ConnectionInfo, Evaluation, ImvHost, Recommendation, recommendationName } from '../../tnccs/types';
import { workitemRecommendation } from '../../policy/merge';
import type { Workitem } from '../../policy/manager';
import { WorkitemType } from '../../policy/workitem-types';
import { AttestationStore, AttestationView } from '../../policy/attestation';
import type { DeviceInfo } from '../../policy/store';
import { ImaKeyStore } from '../../policy/ima-keys';
import type { ImaKeyring } from '../../measurements/ima/signature';
import type { SessionManager } from '../sessions';
import { logOsFacts, osFactsFrom } from '../os/os-facts';
import { aikDistrust, parseAik, type ReceivedAik } from './aik';
import { randomBytes } from 'node:crypto';
import { DEFAULT_PLATFORM_PCRS, EvidenceChecker, QUALIFIER_BIOS, QUALIFIER_IMA } from './evidence';
import { lookupPaths, parseImaUri, ptsBitOf } from './ima-lookup';
import { AttestationImvOptions, DEFAULT_ALGORITHMS, DEFAULT_DH_GROUPS } from './options';
import { TPM_ALG_OF_PTS, verifyPtsQuote } from './quote';
import { evaluate, verifyAttestation } from './verdict';

/** The TPMRA steps in order; each accepts only its own attributes. */
type Phase = 'start' | 'negotiating' | 'ready' | 'dh' | 'aik' | 'evidence' | 'final' | 'done';

/** The device whose AIK was verified: every later step uses it, whatever the endpoint claims afterwards. */
interface AttestedDevice {
  readonly value: string;
  readonly rowId: number;
}

interface AttestationState extends AgentState {
  phase: Phase;
  /** A PTS message arrived in the batch now ending. */
  answered: boolean;
  caps?: number;
  algorithm?: pts.HashAlgInfo;
  workitem?: Workitem;
  /** A protocol violation seen before the workitem started: it fails the workitem when it does. */
  violation?: string;
  secret?: Buffer;
  version?: pts.TpmVersionInfo;
  aik?: ReceivedAik;
  device?: AttestedDevice;
  productId?: number;
  /** The session's device row as the workitem started (its trust decides a bare AIK). */
  deviceRecord?: DeviceInfo;
  /** The policy database for this attestation's evidence: loaded per PA message, written at its end. */
  view: AttestationView;
  registeredLoaded?: boolean;
  /** The IMA signing keys, read with the registered measurements when the evidence step starts. */
  imaKeys?: ImaKeyring;
  symlinks: Symlink[];
  checker?: EvidenceChecker;
  /** The verdict of a Simple Evidence Final, given when its batch ends (nothing may follow it). */
  result?: { evaluation: Evaluation; text: string };
}

// TCG PTS 3.8.2: nonces shorter than this give no freshness guarantee worth a quote
const MIN_NONCE_LENGTH = 16;
const NEED_CAPS = pts.PTS_CAP.T | pts.PTS_CAP.D;
// TCG PTS 3.14: without the P flag the IMC leaves out PCR before/after values (2 digests per
// measurement): the IMV replays every measurement itself, so they would prove nothing
const ima = (qualifier: number): pts.ComponentRequest => ({
  flags: 0,
  depth: 0,
  component: { vendor: VENDOR.ITA, family: 0, qualifier, name: pts.ITA_COMP.IMA },
});
const requestedOf = (arg: string) => ({
  bios: arg.includes('B') || !arg.includes('I'),
  ima: arg.includes('I') || !arg.includes('B'),
});

/**
 * The Attestation IMV (TCG PTS over IF-M, strongSwan's imv_attestation flow): negotiates capabilities
 * and the measurement algorithm, runs the TPMRA workitem (DH nonce, TPM version, AIK trust, BIOS and
 * IMA evidence, TPM 2.0 quote) and gives its verdict from the workitem's policy. It fails closed: a
 * requested TPMRA workitem that does not complete for any reason ends with the workitem's rec_fail.
 */
export class AttestationImv extends Agent<AttestationState, ImvHost> {
  readonly name = 'Attestation';
  readonly subscriptions = [PA_SUBTYPE.PTS, PA_SUBTYPE.OS];
  readonly codecs = ATTESTATION_CODECS;
  protected readonly role = 'IMV' as const;
  private readonly store: AttestationStore;

  constructor(
    private readonly sessions: SessionManager,
    private readonly options: AttestationImvOptions = {},
  ) {
    super();
    this.store = new AttestationStore(sessions.store);
  }

  protected createState(conn: ConnectionInfo, port: PaPort): AttestationState {
    return { conn, port, phase: 'start', answered: false, symlinks: [], view: new AttestationView(this.store) };
  }

  protected async handle(state: AttestationState, msg: ReceivedPa): Promise<void> {
    if (msg.type.vendor === PA_SUBTYPE.OS.vendor && msg.type.subtype === PA_SUBTYPE.OS.subtype) {
      const { product, version, deviceId } = osFactsFrom(msg.attributes);
      logOsFacts(state.conn.log, { product, version, deviceId });
      const violation = this.sessions.get(state.conn.id).violation;
      if (violation && state.phase !== 'done') this.violate(state, violation);
      return;
    }
    state.answered = true;
    if (state.phase === 'evidence') await this.loadFor(state, msg.attributes);
    for (const [i, a] of msg.attributes.entries()) {
      if (state.phase === 'done') break;
      const before = state.phase;
      this.attribute(state, a);
      // evidence in the AIK's own message (not asked for yet, but possible): load for what follows
      if (before !== 'evidence' && state.phase === 'evidence') await this.loadFor(state, msg.attributes.slice(i + 1));
    }
    await state.view.flush();
  }

  /**
   * Before an evidence message is checked: the device's registered measurements (once) and the
   * reference hashes of every file the message names, with their UsrMerge alternatives, in one lookup.
   */
  private async loadFor(s: AttestationState, attrs: readonly PaAttribute[]): Promise<void> {
    const { device, algorithm } = s;
    if (!device || !algorithm) return;
    if (!s.registeredLoaded) {
      await s.view.loadRegistered(device.rowId, algorithm.bit);
      s.imaKeys = await this.imaKeys();
      s.registeredLoaded = true;
    }
    const algo = ptsBitOf(algorithm.node);
    if (s.productId === undefined || algo === undefined) return;
    const links = attrs.find((a) => SymlinksAttr.is(a));
    const symlinks = links && SymlinksAttr.is(links) && !s.checker ? links.value : s.symlinks;
    const paths: string[] = [];
    for (const a of attrs)
      if (pts.SimpleComponentEvidenceAttr.is(a) && a.value.policyUri !== undefined)
        paths.push(parseImaUri(a.value.policyUri).path);
    await s.view.loadReferences(s.productId, algo, lookupPaths(paths, symlinks));
  }

  private attribute(s: AttestationState, a: PaAttribute): void {
    if (PaTncErrorAttr.is(a))
      return this.violate(s, `the IMC reported PA-TNC error '${paTncErrorName(a.value.vendor, a.value.code)}'`);
    switch (s.phase) {
      case 'negotiating':
        if (pts.ProtoCapsAttr.is(a)) return this.capsReceived(s, a.value.flags);
        if (pts.MeasAlgoSelectionAttr.is(a)) return this.algorithmSelected(s, a.value.algorithm);
        break;
      case 'dh':
        if (pts.DhNonceParamsResponseAttr.is(a)) return this.dhResponse(s, a.value);
        break;
      case 'aik':
        if (pts.TpmVersionInfoAttr.is(a)) return this.versionReceived(s, a.value);
        if (pts.AikAttr.is(a)) return this.aikReceived(s, a.value);
        break;
      case 'evidence':
        return this.evidenceAttribute(s, a);
    }
    this.violate(s, `unexpected '${this.codecs.name(a.vendor, a.type)}' attribute in the ${s.phase} step`);
  }

  private evidenceAttribute(s: AttestationState, a: PaAttribute): void {
    if (SymlinksAttr.is(a) && !s.checker) return this.symlinksReceived(s, a.value);
    const checker = this.checker(s);
    if (!checker) return;
    if (pts.SimpleComponentEvidenceAttr.is(a)) checker.add(a.value);
    else if (ImaTemplateDataAttr.is(a)) checker.addTemplateData(a.value);
    else if (pts.SimpleEvidenceFinalAttr.is(a)) this.evidenceFinal(s, checker, a.value);
    else this.violate(s, `unexpected '${this.codecs.name(a.vendor, a.type)}' attribute in the evidence step`);
  }

  /** An attribute out of its step, or an error: fails the workitem now, or when it starts. */
  private violate(s: AttestationState, reason: string): void {
    if (s.workitem) return this.fail(s, reason);
    s.violation ??= reason;
    s.conn.log.info('IMV', reason);
  }

  private capsReceived(s: AttestationState, flags: number): void {
    s.caps = flags;
    s.conn.log.info('PTS', pts.ProtoCapsAttr.spec.describe!({ flags })[0]);
  }

  private algorithmSelected(s: AttestationState, bit: number): void {
    const offered = this.options.algorithms ?? DEFAULT_ALGORITHMS;
    if (s.algorithm) return this.violate(s, 'the IMC selected a second measurement algorithm');
    s.algorithm = offered & bit ? pts.hashAlgInfo(bit) : undefined;
    s.conn.log.info(
      'PTS',
      s.algorithm
        ? `selected PTS measurement algorithm is ${s.algorithm.name}`
        : `the IMC selected ${pts.hashAlgName(bit)}, which was not offered`,
    );
  }

  private versionReceived(s: AttestationState, v: pts.TpmVersionInfo): void {
    s.version = v;
    s.conn.log.info('PTS', pts.TpmVersionInfoAttr.spec.describe!(v)[0]);
  }

  private symlinksReceived(s: AttestationState, links: Symlink[]): void {
    s.symlinks = links;
    s.conn.log.info('PTS', 'adding directory symlinks:');
    for (const l of links) s.conn.log.info('PTS', `  ${l.symlink} -> ${l.target}`);
  }

  protected override async batchEnded(s: AttestationState): Promise<void> {
    const answered = s.answered;
    s.answered = false;
    if (s.phase === 'start') this.negotiate(s);
    // the IMC answers the negotiation in its next batch: whatever it said, the workitem may start
    else if (s.phase === 'negotiating' && answered) s.phase = 'ready';
    else if (s.phase === 'final' && s.result) this.complete(s, s.result.evaluation, s.result.text);
    if (s.phase === 'ready') await this.startWorkitem(s);
  }

  /** First message (seed): Segmentation Contract Request + Request PTS Protocol Capabilities + Measurement Algorithm Request. */
  private negotiate(s: AttestationState): void {
    s.phase = 'negotiating';
    const caps = pts.PTS_CAP.V | pts.PTS_CAP.D | pts.PTS_CAP.T;
    s.port.send(PA_SUBTYPE.PTS, [
      s.port.contractRequest(PA_SUBTYPE.PTS),
      pts.RequestProtoCapsAttr.make({ flags: caps }, true),
      pts.MeasAlgoRequestAttr.make({ algorithms: this.options.algorithms ?? DEFAULT_ALGORITHMS }, true),
    ]);
  }

  /** Runs once the policy session has started (the OS IMV starts it); waits a batch otherwise. */
  private async startWorkitem(s: AttestationState): Promise<void> {
    const session = this.sessions.get(s.conn.id);
    if (session.sessionId === undefined) return;
    const [w] = this.sessions.pending(s.conn.id, [WorkitemType.TPMRA]);
    if (!w) {
      s.conn.log.info('IMV', `IMV ${this.id} has no workitems - no evaluation requested`);
      this.decide(s, Recommendation.ALLOW, Evaluation.DONT_KNOW);
      return;
    }
    s.workitem = w;
    s.productId = session.productRow ?? undefined;
    if (session.deviceId !== undefined) s.deviceRecord = await this.sessions.store.findDevice(session.deviceId);
    s.conn.log.info('IMV', `IMV ${this.id} handles TPMRA workitem ${w.id}`);
    if (s.violation) return this.fail(s, s.violation);
    // TCG PTS 3.7: a TPM quote over a DH nonce needs the T and D capabilities, and an offered algorithm
    if (((s.caps ?? 0) & NEED_CAPS) !== NEED_CAPS)
      return this.fail(s, (s.caps ?? 0) & pts.PTS_CAP.T ? 'no DH nonce negotiation' : 'no TPM available');
    if (!s.algorithm) return this.fail(s, 'the IMC selected no offered measurement algorithm');
    s.phase = 'dh';
    s.port.send(PA_SUBTYPE.PTS, [
      pts.DhNonceParamsRequestAttr.make(
        { minNonceLength: 0, dhGroups: this.options.dhGroups ?? DEFAULT_DH_GROUPS },
        true,
      ),
    ]);
  }

  /** TCG PTS 3.8: our key and nonce, the shared secret, and the DH Nonce Finish with the TPM requests. */
  private dhResponse(s: AttestationState, r: pts.DhNonceParamsResponse): void {
    const log = s.conn.log;
    const algorithm = s.algorithm!;
    const hash = r.hashAlgorithms & algorithm.bit ? algorithm : strongestHash(r.hashAlgorithms);
    if (!((this.options.dhGroups ?? DEFAULT_DH_GROUPS) & r.dhGroup))
      return this.fail(s, `the IMC selected DH group ${pts.dhGroupName(r.dhGroup)}, which was not offered`);
    if (!hash) return this.fail(s, 'the IMC offers no known DH hash algorithm');
    if (r.responderNonce.length < MIN_NONCE_LENGTH)
      return this.fail(s, `DH nonce of ${r.responderNonce.length} bytes is too short`);
    log.info('PTS', `selected DH hash algorithm is ${hash.name}`);
    for (const line of pts.DhNonceParamsResponseAttr.spec.describe!(r)) log.info('PTS', line);
    // the DH key pair is symmetric: the IMC's responder class serves the initiator too
    const key = new DhKeyPair(r.dhGroup);
    const nonce = randomBytes(r.responderNonce.length);
    let z: Buffer;
    try {
      z = key.sharedSecret(r.responderPublicValue);
    } catch (e) {
      return this.fail(s, `the IMC's DH public value is unusable: ${(e as Error).message}`);
    }
    s.secret = ptsSecret(hash.bit, nonce, r.responderNonce, z);
    s.phase = 'aik';
    s.port.send(PA_SUBTYPE.PTS, [
      pts.DhNonceFinishAttr.make(
        { hashAlgorithm: hash.bit, initiatorPublicValue: key.publicValue(), initiatorNonce: nonce },
        true,
      ),
      pts.GetTpmVersionInfoAttr.make({}, true),
      pts.GetAikAttr.make({}, true),
    ]);
  }

  private aikReceived(s: AttestationState, value: pts.Aik): void {
    const log = s.conn.log;
    const aik = parseAik(value);
    if (typeof aik === 'string') return this.fail(s, aik);
    log.info('IMV', `verifying AIK with keyid ${pts.colonHex(Buffer.from(aik.keyId, 'hex'))}`);
    const deviceId = this.sessions.get(s.conn.id).deviceId;
    const device = s.deviceRecord;
    const distrust = aikDistrust(aik, deviceId, device, this.options.caCertificates ?? []);
    if (distrust) return this.fail(s, `AIK public key is not trusted: ${distrust}`);
    if (!device || deviceId === undefined)
      return this.fail(s, 'AIK public key is not trusted: the session has no device record');
    log.info('IMV', 'AIK public key is trusted');
    s.aik = aik;
    s.device = { value: deviceId, rowId: device.id };
    s.phase = 'evidence';
    const requested = requestedOf(s.workitem!.argStr);
    const components = [
      ...(requested.bios ? [ima(QUALIFIER_BIOS)] : []),
      ...(requested.ima ? [ima(QUALIFIER_IMA)] : []),
    ];
    for (const line of pts.RequestComponentEvidenceAttr.spec.describe!({ components }))
      log.info(line.startsWith('  ') ? 'PTS' : 'IMV', line);
    s.port.send(PA_SUBTYPE.PTS, [
      GetSymlinksAttr.make('/'),
      ...(requested.ima ? [RequestImaTemplateDataAttr.make({})] : []),
      pts.RequestComponentEvidenceAttr.make({ components }, true),
      pts.GenerateAttestationEvidenceAttr.make({}, true),
    ]);
  }

  /** Created on the first evidence, after the Symlinks that precede it; bound to the attested device. */
  private checker(s: AttestationState): EvidenceChecker | undefined {
    if (s.checker) return s.checker;
    const { device, workitem, algorithm } = s;
    if (!device || !workitem || !algorithm) return void this.fail(s, 'evidence before the AIK was verified');
    s.checker = new EvidenceChecker({
      store: s.view,
      deviceId: device.rowId,
      productId: s.productId,
      bank: algorithm,
      // TCG PC Client PFP 10.4.5.3: the IMC reports the event log's StartupLocality; a device may override it
      locality: this.options.startupLocality?.[device.value] ?? s.version?.tpm2?.locality ?? 0,
      symlinks: s.symlinks,
      requested: requestedOf(workitem.argStr),
      platformPcrs: new Set(this.options.platformPcrs ?? DEFAULT_PLATFORM_PCRS),
      failUnboundUnknown: (this.options.unboundUnknown ?? 'fail') === 'fail',
      imaKeys: s.imaKeys,
      imaSignaturePolicy: this.options.imaSignaturePolicy,
      log: s.conn.log,
    });
    return s.checker;
  }

  /** The IMA signing keys: the policy database's (`db import-ima-keys`), read per attestation, and the options'. */
  private async imaKeys(): Promise<ImaKeyring | undefined> {
    const stored = await new ImaKeyStore(this.sessions.store).keyring();
    const keys = new Map([...stored, ...(this.options.imaKeys ?? [])]);
    return keys.size > 0 ? keys : undefined;
  }

  /**
   * Verifies the quote over the replayed evidence, then the evidence against the PCRs the quote
   * proved (verdict.ts); the verdict waits for the end of the batch.
   */
  private evidenceFinal(s: AttestationState, checker: EvidenceChecker, final: pts.UntrustedEvidenceFinal): void {
    const log = s.conn.log;
    const summary = checker.finish();
    const quote = verifyPtsQuote(
      final,
      s.aik!.key,
      s.secret!,
      TPM_ALG_OF_PTS.get(s.algorithm!.bit)!,
      summary.pcrs.selected(),
      log,
    );
    log.info('IMV', `TPM Quote Info signature verification ${quote.ok ? 'successful' : 'failed'}`);
    const attested = quote.ok ? verifyAttestation(quote.quote, summary.pcrs) : quote;
    const failures = [...(attested.ok ? [] : [attested.reason]), ...summary.failures];
    const violation = this.sessions.get(s.conn.id).violation;
    if (violation) failures.push(violation);
    const evaluation = evaluate(attested, failures);
    if (attested.ok && evaluation === Evaluation.COMPLIANT) checker.commitRegistrations(attested.verified);
    const texts = checker.texts(evaluation === Evaluation.COMPLIANT);
    for (const t of texts) log.info('PTS', t);
    s.phase = 'final';
    s.result = { evaluation, text: [...failures, ...texts].join('; ') };
  }

  /** A failed check ends the workitem as non-compliant, with its reason. */
  private fail(s: AttestationState, reason: string): void {
    s.conn.log.info('IMV', reason);
    this.complete(s, Evaluation.NONCOMPLIANT_MINOR, reason);
  }

  private complete(s: AttestationState, evaluation: Evaluation, text: string): void {
    const w = s.workitem;
    if (!w || s.phase === 'done') return;
    const rec = workitemRecommendation(evaluation, w.recFail, w.recNoResult);
    this.sessions.finish(s.conn.id, w, rec, text);
    s.conn.log.info('IMV', `IMV ${this.id} handled TPMRA workitem ${w.id}: ${recommendationName(rec)} - ${text}`);
    this.decide(s, rec, evaluation, rec === Recommendation.ALLOW ? undefined : text);
  }

  private decide(s: AttestationState, rec: Recommendation, evaluation: Evaluation, reason?: string): void {
    s.phase = 'done';
    s.port.send(PA_SUBTYPE.PTS, [AssessmentResultAttr.make(ASSESSMENT_RESULT[evaluation])]);
    this.host.provideRecommendation(s.conn.id, this.id, rec, evaluation, reason);
  }

  /** The client stopped: a requested TPMRA workitem that did not complete fails (never allow). */
  solicitRecommendation(connectionId: number): void {
    const s = this.state(connectionId);
    if (!s || s.phase === 'done') return;
    if (s.phase === 'final' && s.result) return this.complete(s, s.result.evaluation, s.result.text);
    s.workitem ??= this.sessions.pending(connectionId, [WorkitemType.TPMRA])[0];
    if (s.workitem) this.fail(s, `attestation incomplete: the client stopped before the ${s.phase} step ended`);
    else this.decide(s, Recommendation.NO_RECOMMENDATION, Evaluation.DONT_KNOW);
  }
}

/** The DH hash: strongSwan's IMC offers its measurement algorithm; otherwise the strongest we know. */
function strongestHash(set: number): pts.HashAlgInfo | undefined {
  return [pts.HASH_ALG.SHA512, pts.HASH_ALG.SHA384, pts.HASH_ALG.SHA256, pts.HASH_ALG.SHA1]
    .map((b) => (set & b ? pts.hashAlgInfo(b) : undefined))
    .find(Boolean);
}
