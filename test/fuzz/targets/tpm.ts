import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAttest, encodeAttest } from '../../../src/tpm/attest';
import { decodeCapabilityData } from '../../../src/tpm/capability';
import { ALG, ST_ATTEST, TPM_GENERATED_VALUE } from '../../../src/tpm/constants';
import { decodePcrSelectionList, encodePcrSelectionList } from '../../../src/tpm/pcr';
import { decodePublic, encodePublic, publicFromKey, publicKeyObject } from '../../../src/tpm/public';
import { decodeSignature, encodeSignature } from '../../../src/tpm/signature';
import { akTemplate, ekTemplateRsa } from '../../../src/tpm/templates';
import type { FuzzTarget } from '../harness';

const akDer = readFileSync(join(__dirname, '..', '..', 'data', 'vectors', 'evidence', 'ak.pub.der'));
const rsaAk = publicFromKey(createPublicKey({ key: akDer, format: 'der', type: 'spki' }), akTemplate('rsa'));
const sel = [
  { hash: ALG.SHA256, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  { hash: ALG.SHA1, pcrs: [23] },
];
const clockInfo = { clock: 6293n, resetCount: 3, restartCount: 0, safe: true };
const header = {
  magic: TPM_GENERATED_VALUE,
  qualifiedSigner: Buffer.alloc(34, 0x4b),
  extraData: Buffer.alloc(32, 0x63),
  clockInfo,
  firmwareVersion: 0x2019102300163636n,
};

export const targets: FuzzTarget[] = [
  {
    name: 'tpm TPMS_ATTEST',
    decode: (b) => decodeAttest(b),
    seeds: [
      encodeAttest({ ...header, type: ST_ATTEST.QUOTE, quote: { pcrSelect: sel, pcrDigest: Buffer.alloc(32, 0xe1) } }),
      encodeAttest({ ...header, type: ST_ATTEST.TIME, attested: Buffer.alloc(25, 1) }),
    ],
  },
  {
    name: 'tpm TPMT_PUBLIC (and its key)',
    decode: (b) => publicKeyObject(decodePublic(b)),
    seeds: [encodePublic(rsaAk), encodePublic(ekTemplateRsa()), encodePublic(akTemplate('ecc'))],
  },
  {
    name: 'tpm TPMT_SIGNATURE',
    decode: (b) => decodeSignature(b),
    seeds: [
      encodeSignature({ sigAlg: ALG.RSASSA, hash: ALG.SHA256, sig: Buffer.alloc(256, 0x30) }),
      encodeSignature({ sigAlg: ALG.ECDSA, hash: ALG.SHA256, r: Buffer.alloc(32, 1), s: Buffer.alloc(32, 2) }),
      encodeSignature({ sigAlg: ALG.HMAC, hash: ALG.SHA1, digest: Buffer.alloc(20, 3) }),
    ],
  },
  {
    name: 'tpm TPML_PCR_SELECTION and TPMS_CAPABILITY_DATA',
    decode: (b) => (b.length % 2 ? decodePcrSelectionList(b) : decodeCapabilityData(b)),
    seeds: [
      encodePcrSelectionList(sel),
      Buffer.concat([Buffer.from('00000005', 'hex'), encodePcrSelectionList(sel)]),
      Buffer.from('000000060000000100000105494249 4d'.replace(/ /g, ''), 'hex'),
    ],
  },
];
