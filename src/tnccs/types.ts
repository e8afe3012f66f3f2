import type { PaMessageType } from '../protocol/vendors';
import type { Logger } from '../log';
import type { HeldBytes } from '../protocol/pa-tnc/tcg/seg/reassembler';

/**
 * The contract between a TNC client/server and its IMCs/IMVs, modelled on TCG IF-IMC/IF-IMV 1.3
 * (so the same IMC objects run under our PB-TNC client and under strongSwan through the IF-IMC bridge).
 * Messages are PA-TNC message bytes (the "long" message form): the IMC/IMV library decodes them.
 */

/** IF-IMV 1.3 TNC_IMV_Action_Recommendation */
export enum Recommendation {
  ALLOW = 0,
  NO_ACCESS = 1,
  ISOLATE = 2,
  NO_RECOMMENDATION = 3,
}
/** IF-IMV 1.3 TNC_IMV_Evaluation_Result */
export enum Evaluation {
  COMPLIANT = 0,
  NONCOMPLIANT_MINOR = 1,
  NONCOMPLIANT_MAJOR = 2,
  ERROR = 3,
  DONT_KNOW = 4,
}

export const recommendationName = (r: Recommendation): string =>
  ({ 0: 'allow', 1: 'no access', 2: 'isolate', 3: 'no recommendation' })[r];
export const evaluationName = (e: Evaluation): string =>
  ({ 0: 'compliant', 1: 'non-compliant minor', 2: 'non-compliant major', 3: 'error', 4: "don't know" })[e];

/** IF-IMC/IMV connection states. */
export type ConnectionState = 'Create' | 'Handshake' | 'Allowed' | 'Isolated' | 'None' | 'Delete';

/** 0xffff: any/unknown posture collector or validator (RFC 5793 4.5). */
export const ANY_ID = 0xffff;

/** One PA message as carried by PB-PA (RFC 5793 4.5). */
export interface PaEnvelope {
  readonly type: PaMessageType;
  /** Posture Collector Identifier (the IMC ID). */
  readonly collectorId: number;
  /** Posture Validator Identifier (the IMV ID, ANY_ID when unknown). */
  readonly validatorId: number;
  /** RFC 5793 4.5: EXCL, deliver only to the addressed IMC/IMV. */
  readonly exclusive: boolean;
  /** The PA-TNC message (RFC 5792), untrusted bytes. */
  readonly body: Buffer;
}

/** What a TNC client or server tells its IMCs/IMVs about one TNCCS connection. */
export interface ConnectionInfo {
  readonly id: number;
  /** Largest PA-TNC message the transport carries (max batch − 8 − 12 − 12). */
  readonly maxPaMessageSize: number;
  readonly transport: 'pt-tls' | 'eap' | 'if-imc';
  /** Preferred language (RFC 5793 4.10), e.g. "en". */
  readonly language: string;
  /** Access requestor identity as authenticated by the transport (server side). */
  readonly peerIdentity?: string;
  /** The access requestor's user and machine identities, as the transport knows them (server side). */
  readonly arIdentities?: ArIdentities;
  readonly log: Logger;
  /** Bytes this connection's unfinished IF-M segment exchanges may hold (src/imcv/reassembly-budget.ts). */
  readonly reassembly?: HeldBytes;
}

/** TCG IF-IMV 1.4 AR Identities (TNC_ATTRIBUTEID_AR_IDENTITIES): who the access requestor is and how the transport knows it. */
export interface ArIdentity {
  readonly value: string;
  readonly type: 'X.500 DN' | 'username' | 'IPv4 address' | 'IPv6 address';
  readonly authenticatedBy: 'certificate' | 'password' | 'unknown method';
}

export interface ArIdentities {
  readonly user?: ArIdentity;
  readonly machine?: ArIdentity;
}

/** Calls an IMC/IMV may make into the TNCC/TNCS (IF-IMC TNC_TNCC_SendMessage*, IF-IMV TNC_TNCS_*). */
export interface TnccsHost {
  /** Queues a PA message for the next batch on that connection. */
  send(connectionId: number, msg: PaEnvelope): void;
  /** IF-IMC TNC_TNCC_RequestHandshakeRetry: measure again once this handshake has a result. */
  requestHandshakeRetry?(connectionId: number, reason: string): void;
}

export interface ImvHost extends TnccsHost {
  /** IF-IMV TNC_TNCS_ProvideRecommendation */
  provideRecommendation(
    connectionId: number,
    imvId: number,
    rec: Recommendation,
    evaluation: Evaluation,
    reason?: string,
  ): void;
}

interface CollectorOrVerifier<H> {
  readonly name: string;
  /** PA message types this IMC/IMV wants to receive. */
  readonly subscriptions: readonly PaMessageType[];
  /** Called once, with the ID the manager assigned. */
  initialize(id: number, host: H): void;
  notifyConnectionChange(conn: ConnectionInfo, state: ConnectionState): void | Promise<void>;
  receiveMessage(connectionId: number, msg: PaEnvelope): void | Promise<void>;
  batchEnding(connectionId: number): void | Promise<void>;
  terminate?(): void | Promise<void>;
}

/** An Integrity Measurement Collector (endpoint side). */
export interface Imc extends CollectorOrVerifier<TnccsHost> {
  beginHandshake(connectionId: number): void | Promise<void>;
}

/** An Integrity Measurement Verifier (server side). */
export interface Imv extends CollectorOrVerifier<ImvHost> {
  /** IF-IMV TNC_IMV_SolicitRecommendation: the server needs a verdict now. */
  solicitRecommendation(connectionId: number): void | Promise<void>;
}

/** What a TNC server decided for one connection: the merged recommendation and the reasons (RFC 5793 4.6, 4.7, 4.9). */
export interface FinalVerdict {
  readonly connectionId: number;
  readonly recommendation: Recommendation;
  readonly evaluation: Evaluation;
  readonly reasons: string[];
}

/**
 * What a PB-TNC session needs from its transport (PT-TLS here; an EAP method or the IF-IMC bridge
 * elsewhere): whole PB-TNC batches in and out.
 */
export interface BatchChannel {
  /** Access requestor identity the transport authenticated (server side). */
  readonly peerIdentity?: string;
  /** The access requestor's identities for the IMVs (server side). */
  readonly arIdentities?: ArIdentities;
  /** Largest PB-TNC batch the peer accepts. */
  readonly maxBatchSize: number;
  /** The IF-T binding underneath (PT-TLS when unset); IMCs/IMVs log it. */
  readonly transport?: 'pt-tls' | 'eap';
  send(batch: Buffer): Promise<void>;
  /** The next batch; rejects when the peer closes, times out or breaks the transport protocol. */
  receive(): Promise<Buffer>;
  close(): Promise<void>;
}

/** RFC 5793 / strongSwan: max PA-TNC message = max batch − batch header − PB message header − PB-PA header. */
export const maxPaMessageSizeFor = (maxBatchSize: number): number => maxBatchSize - 8 - 12 - 12;
