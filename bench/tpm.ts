import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encodeAttest } from '../src/tpm/attest';
import { ALG, ST_ATTEST, TPM_GENERATED_VALUE } from '../src/tpm/constants';
import type { PcrValues } from '../src/tpm/pcr';
import { publicFromKey } from '../src/tpm/public';
import { encodeSignature } from '../src/tpm/signature';
import { akTemplate } from '../src/tpm/templates';
import { verifyQuote } from '../src/tpm/verify';
import { line, rate } from './_util';

// Quote verification speed: a TPMS_ATTEST over sha256 PCR 0-10 as swtpm makes it, signed with
// node:crypto keys shaped like our AKs (RSA 2048 RSASSA-SHA256, ECC P-256 ECDSA-SHA256).
const nonce = Buffer.alloc(32, 0x63);
const values = new Map<number, Buffer>();
for (let i = 0; i <= 10; i++) values.set(i, createHash('sha256').update(`pcr${i}`).digest());
const pcrs: PcrValues = new Map([[ALG.SHA256, values]]);

const attest = encodeAttest({
  magic: TPM_GENERATED_VALUE,
  type: ST_ATTEST.QUOTE,
  qualifiedSigner: Buffer.alloc(34),
  extraData: nonce,
  clockInfo: { clock: 1n, resetCount: 0, restartCount: 0, safe: true },
  firmwareVersion: 1n,
  quote: {
    pcrSelect: [{ hash: ALG.SHA256, pcrs: [...values.keys()] }],
    pcrDigest: createHash('sha256')
      .update(Buffer.concat([...values.values()]))
      .digest(),
  },
});

function measure(what: string, kind: 'rsa' | 'ecc', publicKey: KeyObject, signature: Buffer): void {
  const ak = publicFromKey(publicKey, akTemplate(kind));
  const ev = { attest, signature };
  if (!verifyQuote(ev, { ak, nonce, pcrs }).ok) throw new Error(`bench ${what}: quote does not verify`);
  line(
    'tpm',
    `quote verifications (${what})`,
    rate(() => verifyQuote(ev, { ak, nonce, pcrs })),
    '/s',
  );
}

export function run(): void {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  measure(
    'RSA 2048 RSASSA-SHA256',
    'rsa',
    rsa.publicKey,
    encodeSignature({ sigAlg: ALG.RSASSA, hash: ALG.SHA256, sig: sign('sha256', attest, rsa.privateKey) }),
  );
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rs = sign('sha256', attest, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
  measure(
    'ECDSA P-256 SHA-256',
    'ecc',
    ec.publicKey,
    encodeSignature({ sigAlg: ALG.ECDSA, hash: ALG.SHA256, r: rs.subarray(0, 32), s: rs.subarray(32) }),
  );
}
