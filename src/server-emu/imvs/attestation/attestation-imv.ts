import { DhKeyPair, ptsSecret } from '../../../imcv/pts/dh';
import { Agent, AgentState } from '../../../imcv/agent';
import type { PaPort, ReceivedPa } from '../../../imcv/pa-port';
import type { PaAttribute } from '../../../protocol/pa-tnc/registry';
import { AssessmentResultAttr, ASSESSMENT_RESULT } from '../../../protocol/pa-tnc/ietf/assessment';
import { PaTncErrorAttr, paTncErrorName } from '../../../protocol/pa-tnc/ietf/pa-tnc-error';
import { GetSymlinksAttr, SymlinksAttr, type Symlink } from '../../../protocol/pa-tnc/ita';
import * as pts from '../../../protocol/pa-tnc/tcg/pts';
import { PA_SUBTYPE, VENDOR } from '../../../protocol/vendors';
import { ConnectionInfo, Evaluation, ImvHost, Recommendation, recommendationName } from '../../../tnccs/types';
import { workitemRecommendation } from '../../policy/merge';
import type { Workitem } from '../../policy/manager';
import { WorkitemType } from '../../policy/workitem-types';
import { AttestationStore } from '../../policy/attestation';
import type { SessionManager } from '../../sessions';
import { logOsFacts, osFactsFrom } from '../os/os-facts';
import { aikDistrust, parseAik, type ReceivedAik } from './aik';
import { randomBytes } from 'node:crypto';
import { EvidenceChecker, QUALIFIER_BIOS, QUALIFIER_IMA } from './evidence';
import { AttestationImvOptions, DEFAULT_ALGORITHMS, DEFAULT_DH_GROUPS } from './options';
import { TPM_ALG_OF_PTS, verifyPtsQuote } from './quote';

type Phase = 'start' | 'negotiating' | 'ready' | 'dh' | 'aik' | 'evidence' | 'done';

interface AttestationState extends AgentState {
  phase: Phase;
  caps?: number;
  algorithm?: pts.HashAlgInfo;
  workitem?: Workitem;
  secret?: Buffer;
  version?: pts.TpmVersionInfo;
  aik?: ReceivedAik;
  symlinks: Symlink[];
  checker?: EvidenceChecker;
}

// TCG PTS 3.8.2: nonces shorter than this give no freshness guarantee worth a quote
const MIN_NONCE_LENGTH = 16;
const NEED_CAPS = pts.PTS_CAP.T | pts.PTS_CAP.D;
const ima = (qualifier: number): pts.ComponentRequest => ({ flags: pts.COMP_EVID_FLAG.P, depth: 0, component: { vendor: VENDOR.ITA, family: 0, qualifier, name: pts.ITA_COMP.IMA } });

/**
 * The Attestation IMV (TCG PTS over IF-M, strongSwan's flow in protocols.md 6.12): negotiates
 * capabilities and the measurement algorithm, runs the TPMRA workitem (DH nonce, TPM version, AIK
 * trust, BIOS and IMA evidence, TPM 2.0 quote) and gives its verdict from the workitem's policy.
 */
export class AttestationImv extends Agent<AttestationState, ImvHost> {
  readonly name = 'Attestation';
  readonly subscriptions = [PA_SUBTYPE.PTS, PA_SUBTYPE.OS];
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
    return { conn, port, phase: 'start', symlinks: [] };
  }

  protected handle(state: AttestationState, msg: ReceivedPa): void {
    if (msg.type.vendor === PA_SUBTYPE.OS.vendor && msg.type.subtype === PA_SUBTYPE.OS.subtype) {
      const { product, version, deviceId } = osFactsFrom(msg.attributes);
      logOsFacts(state.conn.log, { product, version, deviceId });
      return;
    }
    for (const a of msg.attributes) {
      if (state.phase === 'done') return;
      this.attribute(state, a);
    }
  }

  private attribute(s: AttestationState, a: PaAttribute): void {
    const log = s.conn.log;
    if (pts.ProtoCapsAttr.is(a)) {
      s.caps = a.value.flags;
      log.info('PTS', pts.ProtoCapsAttr.spec.describe!(a.value)[0]);
    } else if (pts.MeasAlgoSelectionAttr.is(a)) this.algorithmSelected(s, a.value.algorithm);
    else if (pts.DhNonceParamsResponseAttr.is(a) && s.phase === 'dh') this.dhResponse(s, a.value);
    else if (pts.TpmVersionInfoAttr.is(a)) {
      s.version = a.value;
      log.info('PTS', pts.TpmVersionInfoAttr.spec.describe!(a.value)[0]);
    } else if (pts.AikAttr.is(a) && s.phase === 'aik') this.aikReceived(s, a.value);
    else if (SymlinksAttr.is(a) && s.phase === 'evidence') {
      s.symlinks = a.value;
      log.info('PTS', 'adding directory symlinks:');
      for (const l of a.value) log.info('PTS', `  ${l.symlink} -> ${l.target}`);
    } else if (pts.SimpleComponentEvidenceAttr.is(a) && s.phase === 'evidence') this.checker(s).add(a.value);
    else if (pts.SimpleEvidenceFinalAttr.is(a) && s.phase === 'evidence') this.evidenceFinal(s, a.value);
    else if (PaTncErrorAttr.is(a)) this.fail(s, `the IMC reported PA-TNC error '${paTncErrorName(a.value.vendor, a.value.code)}'`);
  }

  private algorithmSelected(s: AttestationState, bit: number): void {
    const offered = this.options.algorithms ?? DEFAULT_ALGORITHMS;
    s.algorithm = offered & bit ? pts.hashAlgInfo(bit) : undefined;
    s.conn.log.info('PTS', s.algorithm ? `selected PTS measurement algorithm is ${s.algorithm.name}` : `the IMC selected ${pts.hashAlgName(bit)}, which was not offered`);
  }

  protected override batchEnded(s: AttestationState): void {
    if (s.phase === 'start') this.negotiate(s);
    else if (s.phase === 'negotiating' && s.caps !== undefined && s.algorithm) s.phase = 'ready';
    if (s.phase === 'ready') this.startWorkitem(s);
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
  private startWorkitem(s: AttestationState): void {
    const session = this.sessions.get(s.conn.id);
    if (session.sessionId === undefined) return;
    const [w] = this.sessions.pending(s.conn.id, [WorkitemType.TPMRA]);
    if (!w) {
      s.conn.log.info('IMV', `IMV ${this.id} has no workitems - no evaluation requested`);
      this.decide(s, Recommendation.ALLOW, Evaluation.DONT_KNOW);
      return;
    }
    s.workitem = w;
    s.conn.log.info('IMV', `IMV ${this.id} handles TPMRA workitem ${w.id}`);
    // protocols.md 6.12: TPMRA needs the T and D capabilities and a usable algorithm
    if (((s.caps ?? 0) & NEED_CAPS) !== NEED_CAPS || !s.algorithm) {
      this.complete(s, Evaluation.DONT_KNOW, (s.caps ?? 0) & pts.PTS_CAP.T ? 'no DH nonce negotiation' : 'no TPM available');
      return;
    }
    s.phase = 'dh';
    s.port.send(PA_SUBTYPE.PTS, [pts.DhNonceParamsRequestAttr.make({ minNonceLength: 0, dhGroups: this.options.dhGroups ?? DEFAULT_DH_GROUPS }, true)]);
  }

  /** TCG PTS 3.8: our key and nonce, the shared secret, and the DH Nonce Finish with the TPM requests. */
  private dhResponse(s: AttestationState, r: pts.DhNonceParamsResponse): void {
    const log = s.conn.log;
    const hash = r.hashAlgorithms & s.algorithm!.bit ? s.algorithm : strongestHash(r.hashAlgorithms);
    if (!((this.options.dhGroups ?? DEFAULT_DH_GROUPS) & r.dhGroup)) return this.fail(s, `the IMC selected DH group ${pts.dhGroupName(r.dhGroup)}, which was not offered`);
    if (!hash) return this.fail(s, 'the IMC offers no known DH hash algorithm');
    if (r.responderNonce.length < MIN_NONCE_LENGTH) return this.fail(s, `DH nonce of ${r.responderNonce.length} bytes is too short`);
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
      pts.DhNonceFinishAttr.make({ hashAlgorithm: hash.bit, initiatorPublicValue: key.publicValue(), initiatorNonce: nonce }, true),
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
    const device = deviceId === undefined ? undefined : this.sessions.store.findDevice(deviceId);
    const distrust = aikDistrust(aik, deviceId, device?.trusted ?? false, this.options.caCertificates ?? []);
    if (distrust) {
      log.info('IMV', 'AIK public key is not trusted');
      return this.fail(s, `AIK public key is not trusted: ${distrust}`);
    }
    log.info('IMV', 'AIK public key is trusted');
    s.aik = aik;
    s.phase = 'evidence';
    const arg = s.workitem!.argStr;
    const components = [...(arg.includes('B') || !arg.includes('I') ? [ima(QUALIFIER_BIOS)] : []), ...(arg.includes('I') || !arg.includes('B') ? [ima(QUALIFIER_IMA)] : [])];
    for (const line of pts.RequestComponentEvidenceAttr.spec.describe!({ components })) log.info(line.startsWith('  ') ? 'PTS' : 'IMV', line);
    s.port.send(PA_SUBTYPE.PTS, [GetSymlinksAttr.make('/'), pts.RequestComponentEvidenceAttr.make({ components }, true), pts.GenerateAttestationEvidenceAttr.make({}, true)]);
  }

  /** Created on the first evidence, after the Symlinks that precede it. */
  private checker(s: AttestationState): EvidenceChecker {
    if (s.checker) return s.checker;
    const session = this.sessions.get(s.conn.id);
    const deviceId = session.deviceId!;
    const arg = s.workitem!.argStr;
    s.checker = new EvidenceChecker({
      store: this.store,
      deviceId: this.sessions.store.findDevice(deviceId)!.id,
      productId: session.product === undefined ? undefined : this.sessions.store.getOrCreateProduct(session.product),
      bank: s.algorithm!,
      // strongswan-notes.md: the IMC reports the event log's StartupLocality in its version info; a device may override it
      locality: this.options.startupLocality?.[deviceId] ?? s.version?.tpm2?.locality ?? 0,
      symlinks: s.symlinks,
      requested: { bios: arg.includes('B') || !arg.includes('I'), ima: arg.includes('I') || !arg.includes('B') },
      log: s.conn.log,
    });
    return s.checker;
  }

  private evidenceFinal(s: AttestationState, final: pts.UntrustedEvidenceFinal): void {
    const log = s.conn.log;
    const summary = this.checker(s).finish();
    const quote = verifyPtsQuote(final, s.aik!.key, s.secret!, TPM_ALG_OF_PTS.get(s.algorithm!.bit)!, summary.pcrs.selected());
    log.info('IMV', `TPM Quote Info signature verification ${quote.ok ? 'successful' : 'failed'}`);
    const texts = [summary.imaText, summary.biosText].filter((t): t is string => t !== undefined);
    for (const t of texts) log.info('PTS', t);
    const failures = [...(quote.ok ? [] : [quote.reason]), ...summary.failures];
    if (failures.length === 0) this.checker(s).commitRegistrations();
    this.complete(s, failures.length === 0 ? Evaluation.COMPLIANT : Evaluation.NONCOMPLIANT_MINOR, [...failures, ...texts].join('; '));
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

  solicitRecommendation(connectionId: number): void {
    const s = this.state(connectionId);
    if (!s || s.phase === 'done') return;
    if (s.workitem) this.complete(s, Evaluation.DONT_KNOW, `attestation incomplete: the client stopped before the ${s.phase} step ended`);
    else this.decide(s, Recommendation.NO_RECOMMENDATION, Evaluation.DONT_KNOW);
  }
}

/** The DH hash: strongSwan's IMC offers its measurement algorithm; otherwise the strongest we know. */
function strongestHash(set: number): pts.HashAlgInfo | undefined {
  return [pts.HASH_ALG.SHA512, pts.HASH_ALG.SHA384, pts.HASH_ALG.SHA256, pts.HASH_ALG.SHA1].map((b) => (set & b ? pts.hashAlgInfo(b) : undefined)).find(Boolean);
}
