import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Aik } from '../../protocol/pa-tnc/tcg/pts';

/** The AIK as received, with its key ID (hex SHA-1 over the DER SubjectPublicKeyInfo, strongSwan's Device ID). */
export interface ReceivedAik {
  readonly key: KeyObject;
  readonly keyId: string;
  readonly certificate?: X509Certificate;
}

/** Parses the AIK attribute's blob; a string says why it is unusable. */
export function parseAik(aik: Aik): ReceivedAik | string {
  try {
    const certificate = aik.bareKey ? undefined : new X509Certificate(aik.der);
    const key = certificate ? certificate.publicKey : createPublicKey({ key: aik.der, format: 'der', type: 'spki' });
    const keyId = createHash('sha1')
      .update(key.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    return { key, keyId, certificate };
  } catch (e) {
    return `the AIK is not a usable ${aik.bareKey ? 'public key' : 'certificate'}: ${(e as Error).message}`;
  }
}

/** An AIK certificate issued and signed by one of the CAs, and valid now. */
export function chainsToCa(cert: X509Certificate, cas: readonly X509Certificate[], now = Date.now()): boolean {
  if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) return false;
  return cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
}

/**
 * strongSwan's imv_attestation_process.c (PTS 3.13 Attestation Identity Key): the AIK is trusted when its certificate chains to a configured CA, or when its
 * key ID is the session's Device ID and that device is marked trusted. Returns the reason it is not.
 */
export function aikDistrust(
  aik: ReceivedAik,
  deviceId: string | undefined,
  device: { readonly trusted: boolean } | undefined,
  cas: readonly X509Certificate[],
): string | undefined {
  if (aik.certificate && chainsToCa(aik.certificate, cas)) return undefined;
  const reason = deviceDistrust(aik.keyId, deviceId, device);
  if (reason === undefined || !aik.certificate) return reason;
  const c = aik.certificate;
  return `AIK certificate '${c.subject}' (issuer '${c.issuer}') does not chain to a configured CA, and ${reason}`;
}

function deviceDistrust(
  keyId: string,
  deviceId: string | undefined,
  device: { readonly trusted: boolean } | undefined,
): string | undefined {
  if (deviceId?.toLowerCase() !== keyId) return `AIK keyid ${keyId} is not the Device ID ${deviceId ?? '(none)'}`;
  if (!device) return `device ${deviceId} is not in the policy database`;
  if (!device.trusted) return `device ${deviceId} is not marked trusted`;
  return undefined;
}
