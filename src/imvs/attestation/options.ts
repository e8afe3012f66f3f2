import type { X509Certificate } from 'node:crypto';
import type { ImaKeyring } from '../../measurements/ima/signature';
import { DH_GROUP, HASH_ALG } from '../../protocol/pa-tnc/tcg/pts';

export interface AttestationImvOptions {
  /** PTS DH groups offered (TCG PTS 3.8.1 bits); default ECP_256 | ECP_384 | MODP_2048. */
  readonly dhGroups?: number;
  /** PTS measurement algorithms offered (TCG PTS 3.9.1 bits); default SHA-256 | SHA-384 | SHA-1. */
  readonly algorithms?: number;
  /** CAs an AIK certificate may chain to; such an AIK is trusted whatever its device row says. */
  readonly caCertificates?: readonly X509Certificate[];
  /** TPM startup locality per Device ID, overriding what the IMC's TPM Version Information says. */
  readonly startupLocality?: Readonly<Record<string, number>>;
  /** PCRs firmware evidence may extend; default 0-9 (platform firmware and boot loader). */
  readonly platformPcrs?: readonly number[];
  /**
   * An IMA file without reference hashes is 'unknown' either way; when no IMA template data binds its
   * name to what was extended (strongSwan's IMC sends none), 'fail' (the default) fails the
   * attestation, 'unknown' accepts it as strongSwan's IMV does.
   */
  readonly unboundUnknown?: 'fail' | 'unknown';
  /** IMA signing keys by key id besides the policy database's: each ima-sig file signature is checked against them all. */
  readonly imaKeys?: ImaKeyring;
  /** With IMA signing keys: 'bad' fails only bad signatures (default); 'not-ok' also missing, unknown-key and unsupported ones. */
  readonly imaSignaturePolicy?: 'bad' | 'not-ok';
}

export const DEFAULT_DH_GROUPS = DH_GROUP.ECP_256 | DH_GROUP.ECP_384 | DH_GROUP.MODP_2048;
export const DEFAULT_ALGORITHMS = HASH_ALG.SHA256 | HASH_ALG.SHA384 | HASH_ALG.SHA1;
