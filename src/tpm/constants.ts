/** TPM 2.0 constants used by the codecs (TPM 2.0 Library Part 2: Structures). */

/** TPM 2.0 Part 2 6.3 TPM_ALG_ID (the subset this agent meets). */
export const ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  SM4: 0x0013,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CAMELLIA: 0x0026,
  CFB: 0x0043,
} as const;

/** Hash algorithms node:crypto can compute, by TPM_ALG_ID: name and digest size. */
export const HASHES: ReadonlyMap<number, { name: string; size: number }> = new Map([
  [ALG.SHA1, { name: 'sha1', size: 20 }],
  [ALG.SHA256, { name: 'sha256', size: 32 }],
  [ALG.SHA384, { name: 'sha384', size: 48 }],
  [ALG.SHA512, { name: 'sha512', size: 64 }],
]);

export function hashByName(name: string): number | undefined {
  for (const [id, h] of HASHES) if (h.name === name.toLowerCase()) return id;
  return undefined;
}

export function hashName(alg: number): string {
  return HASHES.get(alg)?.name ?? `alg 0x${alg.toString(16).padStart(4, '0')}`;
}

/** TPM 2.0 Part 2 6.4 TPM_ECC_CURVE: the curves node:crypto verifies, with field sizes. */
export const CURVES: ReadonlyMap<number, { jwk: string; size: number }> = new Map([
  [0x0003, { jwk: 'P-256', size: 32 }],
  [0x0004, { jwk: 'P-384', size: 48 }],
  [0x0005, { jwk: 'P-521', size: 66 }],
]);
export const ECC_NIST_P256 = 0x0003;
export const ECC_NIST_P384 = 0x0004;

/** TPM 2.0 Part 2 6.2 TPM_GENERATED: "\xffTCG", first field of every TPMS_ATTEST the TPM signs. */
export const TPM_GENERATED_VALUE = 0xff544347;

/** TPM 2.0 Part 2 6.9 TPM_ST attestation structure tags. */
export const ST_ATTEST = {
  NV: 0x8014,
  COMMAND_AUDIT: 0x8015,
  SESSION_AUDIT: 0x8016,
  CERTIFY: 0x8017,
  QUOTE: 0x8018,
  TIME: 0x8019,
  CREATION: 0x801a,
  NV_DIGEST: 0x801c,
} as const;

/** TPM 2.0 Part 2 8.3 TPMA_OBJECT bits. */
export const OBJECT = {
  fixedTPM: 0x00000002,
  fixedParent: 0x00000010,
  sensitiveDataOrigin: 0x00000020,
  userWithAuth: 0x00000040,
  adminWithPolicy: 0x00000080,
  noDA: 0x00000400,
  restricted: 0x00010000,
  decrypt: 0x00020000,
  sign: 0x00040000,
} as const;

/** TPM 2.0 Part 2 6.12 TPM_CAP and 6.13 TPM_PT values read by `Tpm.info()`. */
export const CAP = { PCRS: 0x00000005, TPM_PROPERTIES: 0x00000006 } as const;
export const PT = {
  FAMILY_INDICATOR: 0x100,
  LEVEL: 0x101,
  REVISION: 0x102,
  DAY_OF_YEAR: 0x103,
  YEAR: 0x104,
  MANUFACTURER: 0x105,
  VENDOR_STRING_1: 0x106,
  VENDOR_STRING_4: 0x109,
  FIRMWARE_VERSION_1: 0x10b,
  FIRMWARE_VERSION_2: 0x10c,
} as const;

/** TCG EK Credential Profile 2.0, 2.2.1.4: NV index of the RSA 2048 EK certificate. */
export const EK_CERT_NV_RSA = 0x01c00002;
/** The persistent handle our AK lives at unless configured otherwise. */
export const DEFAULT_AK_HANDLE = 0x81010003;
