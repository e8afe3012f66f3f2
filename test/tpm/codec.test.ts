import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, sign, constants, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from '../../src/bytes/cursor';
import { DecodeError } from '../../src/bytes/errors';
import { decodeAttest, encodeAttest } from '../../src/tpm/attest';
import { ALG, ST_ATTEST, TPM_GENERATED_VALUE } from '../../src/tpm/constants';
import { decodePcrSelectionList, encodePcrSelectionList, type PcrValues } from '../../src/tpm/pcr';
import {
  decodePublic,
  encodePublic,
  keyId,
  publicFromKey,
  publicKeyObject,
  spkiDer,
  type TpmPublic,
} from '../../src/tpm/public';
import { decodeSignature, encodeSignature } from '../../src/tpm/signature';
import { akTemplate } from '../../src/tpm/templates';
import { verifyQuote } from '../../src/tpm/verify';

const VECTORS = join(__dirname, '..', 'data', 'vectors');
const akDer = readFileSync(join(VECTORS, 'evidence', 'ak.pub.der'));

/** The bytes of the strongSwan hex dump that follows the log line containing `title`. */
function logDump(log: string, title: string): Buffer {
  const lines = log.split('\n');
  const start = lines.findIndex((l) => l.includes(title));
  assert.ok(start >= 0, `no "${title}" in the log`);
  const hex: string[] = [];
  for (const l of lines.slice(start + 1)) {
    const m = /\[\w+\]\s+\d+: ((?:[0-9A-F]{2} ?){1,16})/.exec(l);
    if (!m) break;
    hex.push(m[1].replace(/ /g, ''));
  }
  return Buffer.from(hex.join(''), 'hex');
}

/** A TPMT_PUBLIC for a node public key, with the AK template's attributes and the given scheme. */
function tpmPublicFor(key: KeyObject, scheme: { scheme: number; hash: number }): TpmPublic {
  return publicFromKey(key, { ...akTemplate(key.asymmetricKeyType === 'rsa' ? 'rsa' : 'ecc'), scheme });
}

test('AK key id of the vector AK is the strongSwan Device ID', () => {
  assert.equal(
    keyId(createPublicKey({ key: akDer, format: 'der', type: 'spki' })),
    'af61115643f343bb6d36373db32c73a70ddb277b',
  );
});

test('TPMT_PUBLIC from the vector AK round-trips to the same DER SubjectPublicKeyInfo', () => {
  const pub = tpmPublicFor(createPublicKey({ key: akDer, format: 'der', type: 'spki' }), {
    scheme: ALG.RSASSA,
    hash: ALG.SHA256,
  });
  const wire = encodePublic(pub);
  assert.deepEqual(encodePublic(decodePublic(wire)), wire);
  assert.deepEqual(spkiDer(publicKeyObject(decodePublic(wire))), akDer);
});

test('TPML_PCR_SELECTION for sha256 PCR 0-10 is the bytes strongSwan quoted', () => {
  const wire = encodePcrSelectionList([{ hash: ALG.SHA256, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }]);
  assert.equal(wire.toString('hex'), '00000001000b03ff0700');
  assert.deepEqual(decodePcrSelectionList(wire), [{ hash: ALG.SHA256, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }]);
});

test("strongSwan's swtpm quote from the golden vectors verifies offline", () => {
  const log = readFileSync(join(VECTORS, 'server.log'), 'utf8');
  const attest = logDump(log, 'constructed TPM Quote Info');
  const composite = logDump(log, 'constructed PCR Composite:');
  const nonce = logDump(log, 'secret assessment value');
  // The client's Simple Evidence Final carries the quote's fields as 2-byte length-prefixed
  // pieces after the qualified signer, then the RSA signature.
  const batch = readFileSync(join(VECTORS, '09-client_to_server-CDATA.bin'));
  const r = new Reader(batch.subarray(batch.indexOf(attest.subarray(6, 42))));
  for (const what of ['signer', 'clock', 'firmware', 'pcr select', 'pcr digest']) r.lengthPrefixed(2, what);
  const signature = encodeSignature({ sigAlg: ALG.RSASSA, hash: ALG.SHA256, sig: r.lengthPrefixed(2, 'signature') });
  const values = new Map<number, Buffer>();
  for (let i = 0; i * 32 < composite.length; i++) values.set(i, composite.subarray(i * 32, i * 32 + 32));
  const pcrs: PcrValues = new Map([[ALG.SHA256, values]]);
  const ak = tpmPublicFor(createPublicKey({ key: akDer, format: 'der', type: 'spki' }), { scheme: ALG.NULL, hash: 0 });
  const ok = verifyQuote({ attest, signature }, { ak, nonce, pcrs });
  assert.ok(ok.ok, ok.ok ? '' : ok.detail);
  assert.equal(ok.quote.akKeyId, 'af61115643f343bb6d36373db32c73a70ddb277b');
  const bad = verifyQuote({ attest, signature }, { ak, nonce: Buffer.alloc(32), pcrs });
  assert.equal(bad.ok ? 'ok' : bad.reason, 'nonce');
});

function signedAttest(type: number, magic: number, nonce: Buffer, pcrs: PcrValues): Buffer {
  const sel = [{ hash: ALG.SHA256, pcrs: [...pcrs.get(ALG.SHA256)!.keys()] }];
  const digest = createHash('sha384')
    .update(Buffer.concat([...pcrs.get(ALG.SHA256)!.values()]))
    .digest();
  return encodeAttest({
    magic,
    type,
    qualifiedSigner: Buffer.alloc(34),
    extraData: nonce,
    clockInfo: { clock: 1n, resetCount: 0, restartCount: 0, safe: true },
    firmwareVersion: 7n,
    quote: type === ST_ATTEST.QUOTE ? { pcrSelect: sel, pcrDigest: digest } : undefined,
    attested: Buffer.from('000400', 'hex'),
  });
}

test('ECDSA P-384/SHA-384 and RSA-PSS quotes verify; non-quote and bad magic are rejected though signed', () => {
  const nonce = Buffer.alloc(20, 9);
  const pcrs: PcrValues = new Map([
    [
      ALG.SHA256,
      new Map([
        [0, Buffer.alloc(32, 1)],
        [7, Buffer.alloc(32, 2)],
      ]),
    ],
  ]);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const ecPub = tpmPublicFor(ec.publicKey, { scheme: ALG.ECDSA, hash: ALG.SHA384 });
  const ecSign = (attest: Buffer) => {
    const rs = sign('sha384', attest, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
    return encodeSignature({ sigAlg: ALG.ECDSA, hash: ALG.SHA384, r: rs.subarray(0, 48), s: rs.subarray(48) });
  };
  const good = signedAttest(ST_ATTEST.QUOTE, TPM_GENERATED_VALUE, nonce, pcrs);
  assert.ok(verifyQuote({ attest: good, signature: ecSign(good) }, { ak: ecPub, nonce, pcrs }).ok);
  const time = signedAttest(ST_ATTEST.TIME, TPM_GENERATED_VALUE, nonce, pcrs);
  const r1 = verifyQuote({ attest: time, signature: ecSign(time) }, { ak: ecPub, nonce, pcrs });
  assert.equal(r1.ok ? 'ok' : r1.reason, 'not-a-quote');
  const forged = signedAttest(ST_ATTEST.QUOTE, 0x12345678, nonce, pcrs);
  const r2 = verifyQuote({ attest: forged, signature: ecSign(forged) }, { ak: ecPub, nonce, pcrs });
  assert.equal(r2.ok ? 'ok' : r2.reason, 'magic');

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pssPub = tpmPublicFor(rsa.publicKey, { scheme: ALG.RSAPSS, hash: ALG.SHA384 });
  const sig = sign('sha384', good, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
  const signature = encodeSignature({ sigAlg: ALG.RSAPSS, hash: ALG.SHA384, sig });
  assert.ok(verifyQuote({ attest: good, signature }, { ak: pssPub, nonce, pcrs }).ok);
  const unrestricted = { ...pssPub, objectAttributes: pssPub.objectAttributes & ~0x10000 };
  const r3 = verifyQuote({ attest: good, signature }, { ak: unrestricted, nonce, pcrs });
  assert.equal(r3.ok ? 'ok' : r3.reason, 'key');
  const r4 = verifyQuote({ attest: good.subarray(0, 30), signature }, { ak: pssPub, nonce, pcrs });
  assert.equal(r4.ok ? 'ok' : r4.reason, 'malformed');
});

test('decoders reject truncation and bad fields with DecodeError at the absolute offset', () => {
  const attest = signedAttest(
    ST_ATTEST.QUOTE,
    TPM_GENERATED_VALUE,
    Buffer.alloc(4),
    new Map([[ALG.SHA256, new Map([[1, Buffer.alloc(32)]])]]),
  );
  assert.deepEqual(encodeAttest(decodeAttest(attest)), attest);
  assert.throws(
    () => decodeAttest(attest.subarray(0, attest.length - 1)),
    (e) => e instanceof DecodeError && e.kind === 'overrun',
  );
  const badSafe = Buffer.from(attest);
  badSafe[6 + 36 + 6 + 16] = 2; // TPMS_CLOCK_INFO.safe
  assert.throws(
    () => decodeAttest(badSafe),
    (e) => e instanceof DecodeError && e.offset === 64 && e.what === 'TPMS_CLOCK_INFO safe',
  );
  assert.throws(
    () => decodeSignature(Buffer.from('0099', 'hex')),
    (e) => e instanceof DecodeError && e.kind === 'unsupported' && e.offset === 0,
  );
  assert.throws(
    () => decodePcrSelectionList(Buffer.from('000000ff', 'hex')),
    (e) => e instanceof DecodeError && e.kind === 'limit',
  );
  assert.throws(
    () => decodePublic(Buffer.from('0008000b', 'hex')),
    (e) => e instanceof DecodeError,
  );
});
