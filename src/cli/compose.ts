import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log';
import { connectPtTls, startPtTlsServer, PtTlsServer } from '../transport/pt-tls';
import { startRadiusServer, type RadiusServer } from '../transport/radius';
import { ImcManager } from '../tnccs-client/imc-manager';
import { HandshakeLimits, HandshakeOutcome, runClientHandshake } from '../tnccs-client/client';
import { OsImc, OsSources } from '../imcs/os/os-imc';
import { ImvManager } from '../server-emu/imv-manager';
import { OsImv } from '../imvs/os/os-imv';
import { SessionManager } from '../imvs/sessions';
import { FinalVerdict, TnccsServer } from '../server-emu/server';
import { PolicyStore } from '../policy/store';
import type { RecommendationPolicy } from '../policy/merge';
import type { Imc, Imv } from '../tnccs/types';
import { SwimaImc, type SwimaImcOptions } from '../imcs/swima/swima-imc';
import { AttestationImc, type AttestationImcOptions } from '../imcs/attestation';
import { SwimaImv } from '../imvs/swima/swima-imv';
import { SwimaPolicy } from '../policy/swima';
import { AttestationImv, type AttestationImvOptions } from '../imvs/attestation';
import { DEFAULT_ALGORITHMS, DEFAULT_DH_GROUPS } from '../imvs/attestation/options';
import { logImvLoaded, logImvLoading, logPtsComponents, logPtsOffer } from '../server-emu/startup-log';
import { PbPdpReferralMsg } from '../protocol/pb-tnc/tcg';
import '../protocol';

/** The one place that knows the concrete IMCs and IMVs: it wires them into the managers. */

export interface TlsFiles {
  cert?: string;
  key?: string;
  ca: string;
}

export interface LabServerOptions extends TlsFiles {
  host: string;
  port: number;
  /** Policy database: an SQLite file or a postgres:// URL (several servers may share one PostgreSQL database). */
  db: string;
  /** PostgreSQL password file (else PGPASSWORD). */
  dbPasswordFile?: string;
  policy: RecommendationPolicy;
  log: Logger;
  idleTimeoutMs?: number;
  /** SASL PLAIN accounts for clients without a certificate (user → password). */
  saslUsers?: Record<string, string>;
  /** Advertise this PDP (FQDN:port, PT-TLS) in a TCG PB-PDP-Referral in the first SDATA. */
  pdpReferral?: { fqdn: string; port: number };
  /** Sent as PB-Remediation-Parameters (URI) with every verdict other than allow. */
  remediationUri?: string;
  onVerdict?: (v: FinalVerdict | undefined) => void;
  /** The SWIMA and Attestation IMVs, when wanted (the OS IMV always runs); `aikCaFile` names where `caCertificates` came from. */
  verifiers?: { swima?: boolean; attestation?: AttestationImvOptions & { aikCaFile?: string } };
  /** Largest PT-TLS message (header included); default strongSwan's 2,097,136. */
  maxMessageSize?: number;
  /** Further IMVs (tests), made with the server's session manager. */
  moreImvs?: (sessions: SessionManager) => Imv[];
  /** Also serve as a RADIUS PDP: EAP-TTLS with PT-EAP inside (src/transport/radius). */
  radius?: { host: string; port: number; secret: Buffer; isolate?: 'reject' | 'accept'; fragmentSize?: number };
}

export interface LabServer {
  readonly port: number;
  /** Set when `radius` was asked for. */
  readonly radius?: RadiusServer;
  readonly store: PolicyStore;
  close(): Promise<void>;
}

export async function startLabServer(o: LabServerOptions): Promise<LabServer> {
  if (!o.cert || !o.key)
    throw new Error('the server needs --cert and --key (make a lab PKI with `tnc-agent pki --out DIR`)');
  const pem = await readPem(o);
  const store = await PolicyStore.open(o.db, { passwordFile: o.dbPasswordFile });
  const sessions = new SessionManager(store);
  o.log.info('TNC', `TNC recommendation policy is '${o.policy}'`);
  const imvs = loadImvs(o, sessions, store);
  const pdpReferral =
    o.pdpReferral &&
    PbPdpReferralMsg.make({ kind: 'fqdn', protocol: 0, port: o.pdpReferral.port, fqdn: o.pdpReferral.fqdn });
  const tnccs = new TnccsServer(imvs, {
    policy: o.policy,
    log: o.log,
    pdpReferral,
    remediationUri: o.remediationUri,
    onRecommendation: (conn) => sessions.stop(conn.id, conn.log),
    veto: (id) => sessions.violationOf(id),
    recorder: store,
  });
  let tls: PtTlsServer;
  try {
    tls = await startPtTlsServer(
      {
        host: o.host,
        port: o.port,
        cert: pem.cert!,
        key: pem.key!,
        ca: pem.ca,
        idleTimeoutMs: o.idleTimeoutMs,
        maxMessageSize: o.maxMessageSize,
        log: o.log,
        ...(o.saslUsers ? { requireClientCert: false, sasl: { users: o.saslUsers } } : {}),
      },
      async (t) => {
        try {
          const verdict = await tnccs.serve(t); // (not inside `onVerdict?.(…)`: that skips the call when unset)
          o.onVerdict?.(verdict);
        } catch (e) {
          o.log.error('TNC', `connection ended: ${(e as Error).message}`);
        }
      },
    );
  } catch (e) {
    await store.close();
    throw e;
  }
  let radius: RadiusServer | undefined;
  if (o.radius) {
    try {
      radius = await startRadiusServer(
        { ...o.radius, cert: pem.cert!, key: pem.key!, ca: pem.ca, log: o.log, idleTimeoutMs: o.idleTimeoutMs },
        async (channel) => {
          const verdict = await tnccs.serve(channel).catch((e: Error) => {
            o.log.error('TNC', `connection ended: ${e.message}`);
            return undefined;
          });
          o.onVerdict?.(verdict);
          return verdict;
        },
      );
    } catch (e) {
      await tls.close();
      await store.close();
      throw e;
    }
  }
  return {
    port: tls.port,
    radius,
    store,
    close: async () => {
      await radius?.close();
      await tls.close();
      await store.close();
    },
  };
}

/** The OS IMV, then the wanted ones, each logged as strongSwan logs loading its IMVs. */
function loadImvs(o: LabServerOptions, sessions: SessionManager, store: PolicyStore): ImvManager {
  const attestation = o.verifiers?.attestation;
  const list: Imv[] = [
    new OsImv(sessions),
    ...(o.verifiers?.swima ? [new SwimaImv(sessions, SwimaPolicy.of(store))] : []),
    ...(attestation ? [new AttestationImv(sessions, attestation)] : []),
    ...(o.moreImvs?.(sessions) ?? []),
  ];
  logImvLoading(o.log);
  if (list.some((imv) => imv instanceof AttestationImv)) logPtsComponents(o.log);
  const imvs = new ImvManager();
  for (const imv of list) {
    const id = imvs.add(imv);
    const pts =
      imv instanceof AttestationImv
        ? () =>
            logPtsOffer(o.log, {
              algorithms: attestation?.algorithms ?? DEFAULT_ALGORITHMS,
              dhGroups: attestation?.dhGroups ?? DEFAULT_DH_GROUPS,
              caFile: attestation?.aikCaFile,
            })
        : undefined;
    logImvLoaded(o.log, id, imv, pts);
  }
  return imvs;
}

export interface AttestOptions extends TlsFiles {
  host: string;
  port: number;
  servername?: string;
  language: string;
  log: Logger;
  os: OsSources;
  /** SASL PLAIN credentials, for a server that does not take a client certificate. */
  sasl?: { user: string; password: string };
  /** The SWIMA and Attestation IMCs, when wanted (the OS IMC always runs). */
  collectors?: { swima?: SwimaImcOptions; attestation?: AttestationImcOptions };
  /** Further IMCs (tests). */
  moreImcs?: Imc[];
  /** Largest PT-TLS message (header included); default strongSwan's 2,097,136. */
  maxMessageSize?: number;
  /** Bounds on the handshake (defaults: DEFAULT_HANDSHAKE_LIMITS). */
  limits?: Partial<HandshakeLimits>;
}

export async function attest(o: AttestOptions): Promise<HandshakeOutcome> {
  const pem = await readPem(o);
  const imcs = new ImcManager();
  imcs.add(new OsImc(o.os));
  if (o.collectors?.swima) imcs.add(new SwimaImc(o.collectors.swima));
  const attestation = o.collectors?.attestation && new AttestationImc(o.collectors.attestation);
  if (attestation) imcs.add(attestation);
  for (const imc of o.moreImcs ?? []) imcs.add(imc);
  const channel = await connectPtTls({
    host: o.host,
    port: o.port,
    servername: o.servername,
    cert: pem.cert,
    key: pem.key,
    ca: pem.ca,
    sasl: o.sasl,
    maxMessageSize: o.maxMessageSize,
    log: o.log,
  });
  try {
    return await runClientHandshake(imcs, channel, {
      connectionId: 1,
      language: o.language,
      log: o.log,
      limits: o.limits,
    });
  } finally {
    await attestation?.terminate();
  }
}

async function readPem(o: TlsFiles): Promise<{ cert?: string; key?: string; ca: string }> {
  const read = async (p: string | undefined, what: string) => {
    if (!p) return undefined;
    try {
      return await readFile(p, 'utf8');
    } catch (e) {
      throw new Error(`cannot read ${what} '${p}': ${(e as NodeJS.ErrnoException).code ?? e}`, { cause: e });
    }
  };
  const cert = await read(o.cert, 'certificate');
  const key = await read(o.key, 'key');
  const ca = (await read(o.ca, 'CA certificate'))!;
  checkPem(o.cert, 'certificate', cert, (t) => new X509Certificate(t));
  checkPem(o.key, 'key', key, (t) => createPrivateKey(t));
  checkPem(o.ca, 'CA certificate', ca, (t) => new X509Certificate(t));
  return { cert, key, ca };
}

/** A file that is not what its option says fails here, naming the file (never printing its content). */
function checkPem(
  path: string | undefined,
  what: string,
  text: string | undefined,
  parse: (t: string) => unknown,
): void {
  if (text === undefined) return;
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) throw new Error(`${what} '${path}' is not PEM (no -----BEGIN line)`);
  try {
    parse(text);
  } catch (e) {
    throw new Error(`${what} '${path}' cannot be used: ${(e as Error).message}`, { cause: e });
  }
}
