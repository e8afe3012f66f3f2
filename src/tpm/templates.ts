import { ALG, ECC_NIST_P256, OBJECT } from './constants';
import type { TpmPublic } from './public';

const NO_SYM = { algorithm: ALG.NULL, keyBits: 0, mode: 0 };
const AES128_CFB = { algorithm: ALG.AES, keyBits: 128, mode: ALG.CFB };
const NULL_SCHEME = { scheme: ALG.NULL, hash: 0 };

// TCG EK Credential Profile 2.0 B.3.3: PolicySecret(TPM_RH_ENDORSEMENT) digest, SHA-256.
const EK_POLICY = Buffer.from('837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa', 'hex');
const EK_ATTRIBUTES =
  OBJECT.fixedTPM |
  OBJECT.fixedParent |
  OBJECT.sensitiveDataOrigin |
  OBJECT.adminWithPolicy |
  OBJECT.restricted |
  OBJECT.decrypt;
const AK_ATTRIBUTES =
  OBJECT.fixedTPM |
  OBJECT.fixedParent |
  OBJECT.sensitiveDataOrigin |
  OBJECT.userWithAuth |
  OBJECT.restricted |
  OBJECT.sign;

/** TCG EK Credential Profile 2.0 B.3.3 template L-1: the default RSA 2048 EK (certificate at 0x01c00002). */
export function ekTemplateRsa(): TpmPublic {
  return {
    type: ALG.RSA,
    nameAlg: ALG.SHA256,
    objectAttributes: EK_ATTRIBUTES,
    authPolicy: EK_POLICY,
    symmetric: AES128_CFB,
    scheme: NULL_SCHEME,
    keyBits: 2048,
    exponent: 0,
    modulus: Buffer.alloc(256),
  };
}

export type AkKind = 'rsa' | 'ecc';

/** A restricted signing AK: RSA 2048 with RSASSA-SHA256, or ECC P-256 with ECDSA-SHA256. */
export function akTemplate(kind: AkKind): TpmPublic {
  const base = { nameAlg: ALG.SHA256, objectAttributes: AK_ATTRIBUTES, authPolicy: Buffer.alloc(0), symmetric: NO_SYM };
  if (kind === 'rsa') {
    return {
      ...base,
      type: ALG.RSA,
      scheme: { scheme: ALG.RSASSA, hash: ALG.SHA256 },
      keyBits: 2048,
      exponent: 0,
      modulus: Buffer.alloc(0),
    };
  }
  return {
    ...base,
    type: ALG.ECC,
    scheme: { scheme: ALG.ECDSA, hash: ALG.SHA256 },
    curve: ECC_NIST_P256,
    kdf: NULL_SCHEME,
    x: Buffer.alloc(0),
    y: Buffer.alloc(0),
  };
}
