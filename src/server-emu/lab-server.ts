import { startPtTlsServer, PtTlsServer } from '../transport/pt-tls';
import { startRadiusServer, type RadiusServer } from '../transport/radius';
import { readTlsFiles, type TlsFiles } from '../transport/tls-files';
import type { Logger } from '../log';
import { OsImv } from '../imvs/os/os-imv';
import { SessionManager } from '../imvs/sessions';
import { SwimaImv } from '../imvs/swima/swima-imv';
import { AttestationImv, type AttestationImvOptions } from '../imvs/attestation';
import { DEFAULT_ALGORITHMS, DEFAULT_DH_GROUPS } from '../imvs/attestation/options';
import { PolicyStore } from '../policy/store';
import type { RecommendationPolicy } from '../policy/merge';
import { SwimaPolicy } from '../policy/swima';
import { PbPdpReferralMsg } from '../protocol/pb-tnc/tcg';
import type { FinalVerdict, Imv } from '../tnccs/types';
import { Agent } from '../imcv/agent';
import { ImvManager } from './imv-manager';
import { TnccsServer } from './server';
import { logImvLoaded, logImvLoading, logPtsComponents, logPtsOffer } from './startup-log';

/** The embedded server composed: the policy store, the IMVs that share its sessions, PT-TLS and RADIUS listeners. */

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
  if (!o.cert || !o.key) throw new Error('the server needs a certificate and its key');
  const pem = await readTlsFiles(o);
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
  logImvLoading(
    o.log,
    list.flatMap((imv) => (imv instanceof Agent ? imv.codecs.vendors() : [])),
  );
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
