import type { Tpm } from '../../tpm/tpm';

/** Where the IMC reads its evidence; tests and lab mode point these at recorded files. */
export interface EvidencePaths {
  /** TCG PC Client event log (binary_bios_measurements). */
  readonly bootEventLog: string;
  /** IMA measurement list, binary form (binary_runtime_measurements). */
  readonly imaList: string;
  /** Root whose directory symlinks answer ITA-HSR Get Symlinks (a UsrMerge root: /bin → usr/bin ...). */
  readonly symlinkRoot: string;
}

export const DEFAULT_EVIDENCE_PATHS: EvidencePaths = {
  bootEventLog: '/sys/kernel/security/tpm0/binary_bios_measurements',
  imaList: '/sys/kernel/security/ima/binary_runtime_measurements',
  symlinkRoot: '/',
};

/** PTS measurement algorithms the IMC offers, by preference (TCG PTS 3.8.1). */
export type PtsHashName = 'sha256' | 'sha384' | 'sha1';

export interface AttestationImcOptions {
  /** An opened TPM (swtpm in tests and lab mode); the IMC uses it but does not close it. */
  readonly tpm?: Tpm;
  /** TCTI to open when `tpm` is not given (default "device:/dev/tpmrm0"); opened on first use, closed by terminate(). */
  readonly tcti?: string;
  /** Persistent handle of the Attestation Key; default 0x81010003. */
  readonly akHandle?: number;
  /** AK certificate (DER) sent instead of the bare public key when configured. */
  readonly akCertificate?: Buffer;
  /** Evidence files; defaults to /sys/kernel/security/... */
  readonly paths?: Partial<EvidencePaths>;
  /** Measurement hash preference; default sha256, sha384, sha1 (limited to the TPM's PCR banks). */
  readonly hashPreference?: readonly PtsHashName[];
  /** Length of the responder (IMC) DH nonce in bytes; default 20 (as strongSwan), at least 17 (PTS 3.8.1). */
  readonly nonceLength?: number;
}
