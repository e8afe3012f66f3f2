import { isIPv4, isIPv6 } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ArIdentities, ArIdentity } from '../../tnccs/types';

/** Subject CN of the peer's certificate, if it sent one. */
export function peerCommonName(socket: TLSSocket): string | undefined {
  const cn: unknown = socket.getPeerCertificate()?.subject?.CN;
  if (Array.isArray(cn)) return typeof cn[0] === 'string' ? cn[0] : undefined;
  return typeof cn === 'string' ? cn : undefined;
}

/**
 * The user identity (the certificate subject as an X.500 DN, else the SASL user) and the machine
 * identity (the client's IP address), as strongSwan's PT-TLS server hands them to its IMVs.
 */
export function arIdentitiesOf(socket: TLSSocket, saslUser: string | undefined): ArIdentities {
  const subject = socket.authorized ? socket.getPeerX509Certificate()?.subject : undefined;
  const user: ArIdentity | undefined =
    subject !== undefined
      ? { value: subject.split('\n').join(', '), type: 'X.500 DN', authenticatedBy: 'certificate' }
      : saslUser === undefined
        ? undefined
        : { value: saslUser, type: 'username', authenticatedBy: 'password' };
  return { user, machine: machineIdentity(socket.remoteAddress) };
}

function machineIdentity(address: string | undefined): ArIdentity | undefined {
  const v4 = address?.replace(/^::ffff:/i, '');
  if (v4 !== undefined && isIPv4(v4)) return { value: v4, type: 'IPv4 address', authenticatedBy: 'unknown method' };
  if (address !== undefined && isIPv6(address))
    return { value: address, type: 'IPv6 address', authenticatedBy: 'unknown method' };
  return undefined;
}
