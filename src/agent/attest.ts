import type { Logger } from '../log';
import { AttestationImc, type AttestationImcOptions } from '../imcs/attestation';
import { OsImc, type OsSources } from '../imcs/os/os-imc';
import type { SwimaImcOptions } from '../imcs/swima/swima-imc';
import { HandshakeLimits, HandshakeOutcome, runClientHandshake } from '../tnccs-client/client';
import { ImcManager } from '../tnccs-client/imc-manager';
import type { Imc } from '../tnccs/types';
import { connectPtTls } from '../transport/pt-tls/client';
import { readTlsFiles, type TlsFiles } from '../transport/tls-files';

/** The options of the endpoint's IMCs: the OS IMC always runs, SWIMA and Attestation when given. */
export interface EndpointImcOptions {
  os: OsSources;
  swima?: SwimaImcOptions;
  attestation?: AttestationImcOptions;
}

/**
 * The one place that names the endpoint's concrete IMCs (a PT-TLS handshake and the IF-IMC bridge
 * both use it). The SWIMA IMC and its codecs are loaded only when it runs.
 */
export function endpointImcs(o: EndpointImcOptions): Imc[] {
  return [
    new OsImc(o.os),
    ...(o.swima ? [new (swimaImc())(o.swima)] : []),
    ...(o.attestation ? [new AttestationImc(o.attestation)] : []),
  ];
}

/* eslint-disable @typescript-eslint/no-require-imports -- require, not import(): tsx runs the sources as CommonJS */
const swimaImc = () => (require('../imcs/swima/swima-imc') as typeof import('../imcs/swima/swima-imc')).SwimaImc;
/* eslint-enable @typescript-eslint/no-require-imports */

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

/** One TNC handshake (PB-TNC over PT-TLS) with fresh IMCs; they are terminated when it ends. */
export async function attest(o: AttestOptions): Promise<HandshakeOutcome> {
  const pem = await readTlsFiles(o);
  const members = endpointImcs({ os: o.os, ...o.collectors });
  const imcs = new ImcManager();
  for (const imc of [...members, ...(o.moreImcs ?? [])]) imcs.add(imc);
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
    for (const imc of members) await imc.terminate?.();
  }
}
