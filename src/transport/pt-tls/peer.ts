import type { TLSSocket } from 'node:tls';

/** Subject CN of the peer's certificate, if it sent one. */
export function peerCommonName(socket: TLSSocket): string | undefined {
  const cn: unknown = socket.getPeerCertificate()?.subject?.CN;
  if (Array.isArray(cn)) return typeof cn[0] === 'string' ? cn[0] : undefined;
  return typeof cn === 'string' ? cn : undefined;
}
