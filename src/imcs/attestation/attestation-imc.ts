import { randomBytes } from 'node:crypto';
import { ATTESTATION_CODECS } from '../../imcv/codecs/attestation';
import { Agent, AgentState } from '../../imcv/agent';
import type { PaPort, ReceivedPa } from '../../imcv/pa-port';
import { Writer } from '../../bytes/cursor';
import { ptsError } from '../../protocol/pa-tnc/errors';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import { GetSymlinksAttr, SymlinksAttr } from '../../protocol/pa-tnc/ita';
import {
  AikAttr,
  DhNonceFinishAttr,
  DhNonceParamsRequestAttr,
  DhNonceParamsResponseAttr,
  GenerateAttestationEvidenceAttr,
  GetAikAttr,
  GetTpmVersionInfoAttr,
  MeasAlgoRequestAttr,
  ProtoCapsAttr,
  PTS_ERROR,
  RequestComponentEvidenceAttr,
  RequestProtoCapsAttr,
  SimpleEvidenceFinalAttr,
  TpmVersionInfoAttr,
  type DhNonceFinish,
  type DhNonceParamsRequest,
} from '../../protocol/pa-tnc/tcg/pts';
import { RequestImaTemplateDataAttr } from '../../protocol/pa-tnc/tnc-agent';
import { PA_SUBTYPE } from '../../protocol/vendors';
import { DEFAULT_AK_HANDLE } from '../../tpm/constants';
import type { ConnectionInfo, TnccsHost } from '../../tnccs/types';
import { Tpm } from '../../tpm/tpm';
import { BadDhPublicValue, DhKeyPair, ptsSecret, selectDhGroup, SUPPORTED_DH_GROUPS } from '../../imcv/pts/dh';
import { chain, ComponentEvidence, type EvidenceState } from './component-evidence';
import { DEFAULT_EVIDENCE_PATHS, type AttestationImcOptions, type EvidencePaths } from './options';
import { negotiateCaps, selectAlgorithm } from './negotiation';
import { directorySymlinks } from './symlinks';
import { aikOf, quoteEvidence, tpmAlgOf, tpmVersionInfo } from './tpm-evidence';

/** Per-connection PTS state: what was negotiated and the DH secret that becomes the quote's nonce. */
interface PtsState extends AgentState, EvidenceState {
  dh?: { responder: DhKeyPair; nonce: Buffer };
  secret?: Buffer;
}

// strongSwan's imc-attestation.nonce_len default; PTS 3.8.2 wants at least 17 bytes
const DEFAULT_NONCE_LEN = 20;
const MIN_NONCE_LEN = 17;

/** The value bytes of an attribute, for the PTS errors that quote the offending attribute (PTS 4.2). */
function valueOf(a: PaAttribute): Buffer {
  const w = new Writer(64);
  a.spec?.encode(w, a.value);
  return w.finish();
}

/**
 * The Attestation IMC (TCG PTS over IF-M, PTS 3; the message flow of strongSwan's imc_attestation.c): negotiates capabilities, the
 * measurement algorithm and a DH nonce, reports the TPM and its AK, and answers evidence requests
 * with firmware-log and IMA measurements and a TPM 2.0 quote over the PCRs they extend.
 */
export class AttestationImc extends Agent<PtsState, TnccsHost> {
  readonly name = 'Attestation';
  readonly subscriptions = [PA_SUBTYPE.PTS];
  readonly codecs = ATTESTATION_CODECS;
  protected readonly role = 'IMC' as const;
  private readonly paths: EvidencePaths;
  private readonly akHandle: number;
  private readonly nonceLength: number;
  private tpmP?: Promise<Tpm>;
  private readonly evidence: ComponentEvidence;

  constructor(readonly options: AttestationImcOptions = {}) {
    super();
    this.paths = { ...DEFAULT_EVIDENCE_PATHS, ...options.paths };
    this.akHandle = options.akHandle ?? DEFAULT_AK_HANDLE;
    this.nonceLength = Math.max(MIN_NONCE_LEN, options.nonceLength ?? DEFAULT_NONCE_LEN);
    this.evidence = new ComponentEvidence(this.paths);
  }

  beginHandshake(): void {}

  async terminate(): Promise<void> {
    if (this.tpmP && !this.options.tpm) await (await this.tpmP).close();
    this.tpmP = undefined;
  }

  protected createState(conn: ConnectionInfo, port: PaPort): PtsState {
    return { conn, port, caps: 0 };
  }

  private tpm(): Promise<Tpm> {
    this.tpmP ??= this.options.tpm ? Promise.resolve(this.options.tpm) : Tpm.open(this.options.tcti);
    return this.tpmP;
  }

  /** Evidence answers run to hundreds of thousands of attributes: they are made as batches take them. */
  protected async handle(state: PtsState, msg: ReceivedPa): Promise<void> {
    const answers: Iterable<PaAttribute>[] = [];
    for (const a of msg.attributes) answers.push(await this.answer(state, a));
    state.port.sendLater(PA_SUBTYPE.PTS, chain(answers), { peerId: msg.peerId, exclusive: true });
  }

  private async answer(state: PtsState, a: PaAttribute): Promise<Iterable<PaAttribute>> {
    if (RequestProtoCapsAttr.is(a))
      return [ProtoCapsAttr.make({ flags: await negotiateCaps(state, this.tpm(), a.value.flags) })];
    if (MeasAlgoRequestAttr.is(a))
      return [await selectAlgorithm(state, this.tpm(), a.value.algorithms, this.options.hashPreference)];
    if (DhNonceParamsRequestAttr.is(a)) return [this.dhParams(state, a.value)];
    if (DhNonceFinishAttr.is(a)) return this.dhFinish(state, a.value, a);
    if (GetTpmVersionInfoAttr.is(a))
      return [
        TpmVersionInfoAttr.make({ raw: await tpmVersionInfo(await this.tpm(), await this.evidence.startupLocality()) }),
      ];
    if (GetAikAttr.is(a))
      return [AikAttr.make(await aikOf(await this.tpm(), this.akHandle, this.options.akCertificate))];
    if (GetSymlinksAttr.is(a)) return [SymlinksAttr.make(await directorySymlinks(this.paths.symlinkRoot, a.value))];
    if (RequestImaTemplateDataAttr.is(a)) return this.templateDataRequested(state);
    if (RequestComponentEvidenceAttr.is(a)) return this.evidence.answer(state, a.value, valueOf(a));
    if (GenerateAttestationEvidenceAttr.is(a)) return [await this.finalEvidence(state, a)];
    return [];
  }

  /** tnc-agent's verifier binds IMA names and digests to the extended template hashes. */
  private templateDataRequested(state: PtsState): PaAttribute[] {
    state.templateData = true;
    return [];
  }

  private dhParams(state: PtsState, req: DhNonceParamsRequest): PaAttribute {
    const group = selectDhGroup(req.dhGroups);
    // PTS 4.2: DH groups not supported, with the groups we do support
    if (group === undefined)
      return ptsError(PTS_ERROR.DH_GROUPS_NOT_SUPPORTED, new Writer(4).u16(0).u16(SUPPORTED_DH_GROUPS).finish());
    const nonce = randomBytes(Math.max(this.nonceLength, req.minNonceLength));
    const responder = new DhKeyPair(group);
    state.dh = { responder, nonce };
    state.secret = undefined;
    return DhNonceParamsResponseAttr.make({
      dhGroup: group,
      hashAlgorithms: state.algorithm ?? 0,
      responderNonce: nonce,
      responderPublicValue: responder.publicValue(),
    });
  }

  private dhFinish(state: PtsState, f: DhNonceFinish, a: PaAttribute): PaAttribute[] {
    const log = state.conn.log;
    if (!state.dh) return [ptsError(PTS_ERROR.OPERATION_NOT_SUPPORTED, valueOf(a))];
    const len = state.dh.nonce.length;
    // PTS 3.8.3, as strongSwan's imc_attestation_process.c checks: the initiator nonce must be as long as ours
    if (f.initiatorNonce.length !== len)
      return [ptsError(PTS_ERROR.BAD_NONCE_LENGTH, new Writer(4).u16(len).u16(len).finish())];
    // the hash must be the one we offered in the Parameters Response (our measurement algorithm)
    if (f.hashAlgorithm !== state.algorithm)
      return [
        ptsError(
          PTS_ERROR.HASH_ALG_NOT_SUPPORTED,
          new Writer(4)
            .u16(0)
            .u16(state.algorithm ?? 0)
            .finish(),
        ),
      ];
    try {
      const z = state.dh.responder.sharedSecret(f.initiatorPublicValue);
      state.secret = ptsSecret(f.hashAlgorithm, f.initiatorNonce, state.dh.nonce, z);
    } catch (e) {
      if (!(e instanceof BadDhPublicValue)) throw e;
      log.error('PTS', `DH Nonce Finish: ${e.message}`);
      return [ptsError(PTS_ERROR.OPERATION_NOT_SUPPORTED, valueOf(a))];
    }
    return [];
  }

  private async finalEvidence(state: PtsState, a: PaAttribute): Promise<PaAttribute> {
    const bank = state.algorithm === undefined ? undefined : tpmAlgOf(state.algorithm);
    const pcrs = state.pcrs?.touched() ?? [];
    if (!state.secret || bank === undefined || pcrs.length === 0) {
      state.conn.log.error(
        'PTS',
        `cannot generate attestation evidence: ${!state.secret ? 'no DH nonce exchanged' : 'no evidence measured'}`,
      );
      return ptsError(PTS_ERROR.UNABLE_CUR_EVID, valueOf(a));
    }
    return SimpleEvidenceFinalAttr.make(await quoteEvidence(await this.tpm(), this.akHandle, bank, pcrs, state.secret));
  }
}
