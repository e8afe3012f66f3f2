import type { Logger } from '../../log';
import { PT_TLS_MAX_MESSAGE_LEN } from '../../protocol/pt-tls';

/** Options both ends share. PEM strings, not paths: reading files is the caller's edge. */
export interface PtTlsEndpointOptions {
  host?: string;
  /** 0 = a free port (server). */
  port: number;
  /** Our certificate and key (PEM); the client may omit them when it authenticates by SASL. */
  cert?: string;
  key?: string;
  /** CA(s) that sign the peer's certificate (PEM). */
  ca: string | string[];
  /** Largest PT-TLS message (header included) we accept and send; default strongSwan's 2,097,136. */
  maxMessageSize?: number;
  /** Time for the TLS handshake plus the PT-TLS negotiation phase. */
  handshakeTimeoutMs?: number;
  /** Longest wait for a PB-TNC batch in the data transport phase (0 = none). */
  idleTimeoutMs?: number;
  log?: Logger;
}

export interface PtTlsServerOptions extends PtTlsEndpointOptions {
  cert: string;
  key: string;
  /** Refuse TLS without a client certificate signed by `ca` (default true); its CN is the peer identity. */
  requireClientCert?: boolean;
  /** SASL PLAIN accounts (user → password), offered to clients without a certificate. */
  sasl?: { users: ReadonlyMap<string, string> | Readonly<Record<string, string>> };
}

export interface PtTlsClientOptions extends PtTlsEndpointOptions {
  /** Name to check the server certificate against (default: host unless it is an IP address). */
  servername?: string;
  /** SASL PLAIN credentials, used when the server offers PLAIN. */
  sasl?: { user: string; password: string };
}

export const DEFAULTS = {
  host: '127.0.0.1',
  maxMessageSize: PT_TLS_MAX_MESSAGE_LEN,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
} as const;

/** Remaining milliseconds until a deadline set now + ms (at least 1, so it still times out). */
export function deadline(ms: number): () => number {
  const end = Date.now() + ms;
  return () => Math.max(1, end - Date.now());
}
