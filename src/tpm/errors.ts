/** A TPM or TSS response code other than success, with tpm2-tss's decoded text (Tss2_RC_Decode). */
export class TpmError extends Error {
  override readonly name = 'TpmError';
  constructor(
    /** The full TSS2_RC (layer in bits 16-23). */
    readonly rc: number,
    /** The ESYS/TSS function that failed. */
    readonly op: string,
    readonly text: string,
  ) {
    super(`${op}: ${text} (rc 0x${rc.toString(16)})`);
  }

  /** TPM 2.0 Part 2 6.6: the TPM_RC without its layer and, for format-one codes, without the handle/parameter/session number. */
  get code(): number {
    const r = this.rc & 0xffff;
    return r & 0x80 ? r & 0xbf : r;
  }

  /** True for an error the TPM itself reported (layer 0), as opposed to the TSS. */
  get fromTpm(): boolean {
    return this.rc >>> 16 === 0;
  }
}

/** TPM 2.0 Part 2 6.6.3 response codes callers test for. */
export const RC = {
  HANDLE: 0x08b,
  NV_DEFINED: 0x14c,
  LOCKOUT: 0x921,
} as const;

/** No TPM to talk to: the addon is not built, or the TCTI's device or socket is missing. */
export class TpmUnavailableError extends Error {
  override readonly name = 'TpmUnavailableError';
}
