import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { Tpm } from '../../src/tpm/tpm';
import { verifyQuote, type QuoteEvidence } from '../../src/tpm/verify';
import { ALG } from '../../src/tpm/constants';
import { RC, TpmError } from '../../src/tpm/errors';
import { keyId, publicKeyObject, spkiDer } from '../../src/tpm/public';
import type { PcrSelection, PcrValues } from '../../src/tpm/pcr';

// Real TPM: swtpm on loopback, driven through the native tpm2-tss binding.
let sw: Swtpm;
let tpm: Tpm;
let akPublic: Buffer;
const SEL: PcrSelection[] = [{ hash: ALG.SHA256, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }];
const nonce = createHash('sha256').update('tnc-agent test nonce').digest();

before(async () => {
  sw = await startSwtpm();
  tpm = await Tpm.open(sw.tcti);
  await tpm.pcrExtend(10, [{ hash: ALG.SHA256, digest: createHash('sha256').update('boot').digest() }]);
  akPublic = (await tpm.provisionAk()).akPublic;
});

after(async () => {
  await tpm?.close();
  await sw?.stop();
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] ^= 0x01;
  return c;
}

async function quoteAndExpect(): Promise<{ q: QuoteEvidence; pcrs: PcrValues }> {
  return { q: await tpm.quote({ nonce, pcrs: SEL }), pcrs: await tpm.pcrValues(SEL) };
}

test('info reports swtpm (IBM) with a SHA-256 bank', async () => {
  const info = await tpm.info();
  assert.equal(info.family, '2.0');
  assert.equal(info.manufacturer, 'IBM');
  assert.ok(info.banks.some((b) => b.hash === ALG.SHA256 && b.pcrs.includes(23)));
});

test('a quote by the provisioned RSA AK verifies, and its key id is SHA-1 over the SPKI', async () => {
  const { q, pcrs } = await quoteAndExpect();
  const r = verifyQuote(q, { ak: akPublic, nonce, pcrs });
  assert.ok(r.ok, r.ok ? '' : r.detail);
  const read = await tpm.readPublic(0x81010003);
  assert.deepEqual(read.raw, akPublic);
  const spki = spkiDer(publicKeyObject(read.public));
  assert.equal(r.quote.akKeyId, createHash('sha1').update(spki).digest('hex'));
  assert.equal(r.quote.akKeyId, keyId(publicKeyObject(read.public)));
});

test('one flipped byte of the attest or of the signature fails the signature check', async () => {
  const { q, pcrs } = await quoteAndExpect();
  for (const at of [0, 10, q.attest.length - 1]) {
    const r = verifyQuote({ ...q, attest: flip(q.attest, at) }, { ak: akPublic, nonce, pcrs });
    assert.equal(r.ok ? 'ok' : r.reason, 'signature', `attest byte ${at}`);
  }
  const r = verifyQuote({ ...q, signature: flip(q.signature, q.signature.length - 7) }, { ak: akPublic, nonce, pcrs });
  assert.equal(r.ok ? 'ok' : r.reason, 'signature');
});

test('a wrong nonce, a PCR outside the selection and a wrong PCR value are rejected', async () => {
  const { q, pcrs } = await quoteAndExpect();
  const wrongNonce = verifyQuote(q, { ak: akPublic, nonce: flip(nonce, 0), pcrs });
  assert.equal(wrongNonce.ok ? 'ok' : wrongNonce.reason, 'nonce');
  const extra: PcrValues = new Map([[ALG.SHA256, new Map([...pcrs.get(ALG.SHA256)!, [16, Buffer.alloc(32)]])]]);
  const outside = verifyQuote(q, { ak: akPublic, nonce, pcrs: extra });
  assert.equal(outside.ok ? 'ok' : outside.reason, 'pcr-selection');
  const wrong: PcrValues = new Map([[ALG.SHA256, new Map([...pcrs.get(ALG.SHA256)!, [10, Buffer.alloc(32)]])]]);
  const bad = verifyQuote(q, { ak: akPublic, nonce, pcrs: wrong });
  assert.equal(bad.ok ? 'ok' : bad.reason, 'pcr-digest');
});

test('extending a PCR after the expected values were read makes the quote disagree', async () => {
  const before = await tpm.pcrValues(SEL);
  await tpm.pcrExtend(9, [{ hash: ALG.SHA256, digest: createHash('sha256').update('later').digest() }]);
  const q = await tpm.quote({ nonce, pcrs: SEL });
  const stale = verifyQuote(q, { ak: akPublic, nonce, pcrs: before });
  assert.equal(stale.ok ? 'ok' : stale.reason, 'pcr-digest');
  assert.ok(verifyQuote(q, { ak: akPublic, nonce, pcrs: await tpm.pcrValues(SEL) }).ok);
});

test('an ECC P-256 AK quotes with ECDSA-SHA256 and verifies; the RSA AK does not verify it', async () => {
  const ecc = await tpm.provisionAk({ handle: 0x81010004, kind: 'ecc' });
  const q = await tpm.quote({ nonce, pcrs: SEL, akHandle: 0x81010004 });
  const pcrs = await tpm.pcrValues(SEL);
  const r = verifyQuote(q, { ak: ecc.akPublic, nonce, pcrs });
  assert.ok(r.ok, r.ok ? '' : r.detail);
  const other = verifyQuote(q, { ak: akPublic, nonce, pcrs });
  assert.equal(other.ok ? 'ok' : other.reason, 'scheme');
});

test('provisioning over an occupied handle fails unless replace is asked', async () => {
  await assert.rejects(tpm.provisionAk(), (e) => e instanceof TpmError && e.code === RC.NV_DEFINED);
  const again = await tpm.provisionAk({ replace: true });
  assert.notDeepEqual(again.akPublic, akPublic);
  akPublic = again.akPublic;
});

test('a missing AK handle gives a typed TpmError with the decoded response code', async () => {
  await assert.rejects(tpm.quote({ nonce, pcrs: SEL, akHandle: 0x81010099 }), (e) => {
    assert.ok(e instanceof TpmError);
    assert.equal(e.code, RC.HANDLE);
    assert.match(e.text, /handle/);
    return true;
  });
});

test('swtpm has no EK certificate; random bytes come in the asked length', async () => {
  assert.equal(await tpm.ekCertificate(), null);
  const r = await tpm.getRandom(70);
  assert.equal(r.length, 70);
  assert.notDeepEqual(r, Buffer.alloc(70));
});

test('concurrent calls on one context are serialized by the binding and all succeed', async () => {
  const results = await Promise.all([
    tpm.quote({ nonce, pcrs: SEL }),
    tpm.getRandom(16),
    tpm.pcrValues(SEL),
    tpm.quote({ nonce, pcrs: SEL }),
    tpm.info(),
  ]);
  const pcrs = results[2];
  for (const q of [results[0], results[3]]) assert.ok(verifyQuote(q, { ak: akPublic, nonce, pcrs }).ok);
});
