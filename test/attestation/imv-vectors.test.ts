import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import {
  hashAlgInfo,
  HASH_ALG,
  SimpleComponentEvidenceAttr,
  SimpleEvidenceFinalAttr,
  TpmVersionInfoAttr,
  type UntrustedComponentEvidence,
  type UntrustedEvidenceFinal,
} from '../../src/protocol/pa-tnc/tcg/pts';
import { SymlinksAttr } from '../../src/protocol/pa-tnc/ita';
import { PolicyStore } from '../../src/policy/store';
import { AttestationStore, AttestationView } from '../../src/policy/attestation';
import { lookupPaths, parseImaUri } from '../../src/imvs/attestation/ima-lookup';
import { DEFAULT_PLATFORM_PCRS, EvidenceChecker } from '../../src/imvs/attestation/evidence';
import { TPM_ALG_OF_PTS, verifyPtsQuote } from '../../src/imvs/attestation/quote';
import { evaluate, verifyAttestation } from '../../src/imvs/attestation/verdict';
import { VirtualPcrs } from '../../src/imvs/attestation/virtual-pcrs';
import { Evaluation } from '../../src/tnccs/types';
import { logHexDump, readLog, VECTORS, vectorAttributes } from '../protocol/pts-swima-util';

// strongSwan 5.9.14's own attestation, re-verified offline: its IMC's evidence (09 CDATA), the DH
// values its IMV logged, the AK from evidence/. Our verifier must reach strongSwan's verdict.
const log = readLog('server.log');
const evidenceAttrs = vectorAttributes('09-client_to_server-CDATA.bin');
const sces = evidenceAttrs
  .filter((a) => SimpleComponentEvidenceAttr.is(a))
  .map((a) => a.value as UntrustedComponentEvidence);
const final = evidenceAttrs.find((a) => SimpleEvidenceFinalAttr.is(a))!.value as UntrustedEvidenceFinal;
const symlinks = evidenceAttrs.find((a) => SymlinksAttr.is(a))!.value as { symlink: string; target: string }[];
const version = vectorAttributes('07-client_to_server-CDATA.bin').find((a) => TpmVersionInfoAttr.is(a))!.value as {
  tpm2?: { locality: number };
};
const ak = createPublicKey({ key: readFileSync(join(VECTORS, 'evidence', 'ak.pub.der')), format: 'der', type: 'spki' });
const secret = logHexDump(log, 'secret assessment value');
const bank = hashAlgInfo(HASH_ALG.SHA256)!;
const DEVICE = 'af61115643f343bb6d36373db32c73a70ddb277b';
const PRODUCT = 'Debian 12 x86_64';

async function referenceStore(override?: {
  path: string;
  hash: string;
}): Promise<{ store: PolicyStore; att: AttestationStore }> {
  const store = await PolicyStore.open(':memory:');
  const att = new AttestationStore(store);
  const files = JSON.parse(readFileSync(join(VECTORS, 'evidence', 'ima_files.json'), 'utf8')) as {
    file: string;
    sha256: string;
  }[];
  await att.importFileHashes(
    PRODUCT,
    files.map((f) => ({
      path: f.file,
      algo: HASH_ALG.SHA256,
      hash: Buffer.from(f.file === override?.path ? override.hash : f.sha256, 'hex'),
    })),
  );
  await store.getOrCreateDevice(DEVICE, PRODUCT);
  return { store, att };
}

/** The view the IMV loads before an evidence message: the device's registered measurements, the files' references. */
async function viewOf(att: AttestationStore, deviceId: number, productId: number, evidence: typeof sces) {
  const view = new AttestationView(att);
  await view.loadRegistered(deviceId, bank.bit);
  const paths = evidence.flatMap((e) => (e.policyUri === undefined ? [] : [parseImaUri(e.policyUri).path]));
  await view.loadReferences(productId, bank.bit, lookupPaths(paths, symlinks));
  return view;
}

async function check(
  att: AttestationStore,
  store: PolicyStore,
  evidence = sces,
  nonce = secret,
  failUnboundUnknown = true,
) {
  const sink = new MemorySink();
  const deviceId = (await store.findDevice(DEVICE))!.id;
  const productId = await store.getOrCreateProduct(PRODUCT);
  const view = await viewOf(att, deviceId, productId, evidence);
  const checker = new EvidenceChecker({
    store: view,
    deviceId,
    productId,
    bank,
    locality: version.tpm2!.locality,
    symlinks,
    requested: { bios: true, ima: true },
    platformPcrs: DEFAULT_PLATFORM_PCRS,
    failUnboundUnknown,
    log: new Logger(2, 'text', sink),
  });
  for (const e of evidence) checker.add(e);
  const summary = checker.finish();
  const verified = verifyPtsQuote(final, ak, nonce, TPM_ALG_OF_PTS.get(bank.bit)!, summary.pcrs.selected());
  const attested = verified.ok ? verifyAttestation(verified.quote, summary.pcrs) : verified;
  const ok = evaluate(attested, summary.failures) === Evaluation.COMPLIANT;
  if (attested.ok && ok) checker.commitRegistrations(attested.verified);
  await view.flush();
  const [imaText, biosText] = checker.texts(ok);
  const quote = verified.ok ? { ok: true } : verified;
  return { summary: { ...summary, imaText, biosText }, quote, attested, lines: sink.lines };
}

test("strongSwan's evidence verifies: registered on first contact, then checked, as its IMV logged", async () => {
  const { store, att } = await referenceStore();
  const first = await check(att, store);
  assert.deepEqual(first.quote, { ok: true });
  assert.deepEqual(first.summary.failures, []);
  assert.equal(
    first.summary.imaText,
    'registered IMA boot aggregate evidence measurement; processed 4 IMA file evidence measurements: 4 ok, 0 unknown, 0 differ, 0 failed',
  );
  assert.equal(first.summary.biosText, 'registered 14 BIOS evidence measurements');
  for (const line of [
    '[PTS] TPM 2.0 - locality indicator set to 3',
    '[PTS] registering 14 BIOS evidence measurements',
    '[PTS] boot aggregate computed over PCR0..PCR9 is correct',
  ]) {
    assert.ok(first.lines.includes(line), line);
  }
  // strongSwan's composite covered PCR 0-10; ours must be the same values
  const composite = Buffer.concat([...first.summary.pcrs.selected().values()]);
  assert.equal(composite.toString('hex'), logHexDump(log, 'constructed PCR Composite').toString('hex'));
  // quote verified → its PCR values trusted → firmware (PCR 0-9 that the log extended) and IMA (PCR 10) verified against them
  assert.ok(first.attested.ok);
  assert.deepEqual(
    [first.attested.verified.firmware?.pcrs, first.attested.verified.ima?.pcrs],
    [[...first.summary.pcrs.selected().keys()].filter((p) => p !== 10), [10]],
  );
  const second = await check(att, store);
  assert.deepEqual([second.quote, second.summary.failures], [{ ok: true }, []]);
  assert.equal(second.summary.biosText, '14 BIOS evidence measurements are ok');
  assert.equal(
    second.summary.imaText,
    'processed 4 IMA file evidence measurements: 4 ok, 0 unknown, 0 differ, 0 failed',
  );
  assert.ok(second.lines.includes('[PTS] checking boot aggregate evidence measurement'));
  await store.close();
});

test('a file whose reference hash differs fails; one without a reference is unknown, logged as strongSwan does: a failure unless unbound names are accepted', async () => {
  const { store, att } = await referenceStore({ path: '/usr/bin/ls', hash: '00'.repeat(32) });
  const differ = await check(att, store);
  assert.match(differ.summary.imaText!, /3 ok, 0 unknown, 1 differ, 0 failed/);
  assert.ok(differ.summary.failures.some((f) => f.includes('differ from the reference hashes: /usr/bin/ls')));
  await store.close();
  const empty = await PolicyStore.open(':memory:');
  await empty.getOrCreateDevice(DEVICE, PRODUCT);
  // strongSwan's IMC sends no IMA template data: nothing binds an unknown file's name to what was extended
  const unbound = await check(new AttestationStore(empty), empty);
  assert.match(unbound.summary.imaText!, /0 ok, 4 unknown, 0 differ, 0 failed/);
  assert.deepEqual(unbound.summary.failures, [
    '4 IMA file measurements without reference hashes are not bound to their names (no IMA template data)',
  ]);
  const unknown = await check(new AttestationStore(empty), empty, sces, secret, false);
  assert.match(unknown.summary.imaText!, /0 ok, 4 unknown, 0 differ, 0 failed/);
  assert.ok(
    unknown.lines.some((l) =>
      /^\[PTS\] ([0-9a-f]{2}:){31}[0-9a-f]{2} for '\/usr\/bin\/bash' not found \(name not bound by template data\)$/.test(
        l,
      ),
    ),
  );
  assert.deepEqual(unknown.summary.failures, []);
  await empty.close();
});

test('the verdict needs the evidence verified against the PCRs the quote proved: a replay the quote did not cover fails', async () => {
  const { store, att } = await referenceStore();
  const good = await check(att, store);
  assert.ok(good.attested.ok);
  const quote = good.attested.verified.quote;
  // the same evidence with one more IMA entry: PCR 10 is no longer the value the quote proved
  const more = new VirtualPcrs(bank, version.tpm2!.locality);
  for (const e of sces) more.extend(e.pcr, e.measurement);
  more.extend(10, Buffer.alloc(32, 1));
  const v = verifyAttestation(quote, more);
  assert.equal(v.ok, false);
  assert.match(
    (v as { reason: string }).reason,
    /^the ima evidence does not replay to the quoted PCRs: PCR 10 \(sha256\): quoted [0-9a-f]{64}, replay gives [0-9a-f]{64}$/,
  );
  assert.equal(evaluate(v, []), Evaluation.NONCOMPLIANT_MINOR, 'no failure listed, still not compliant');
  // evidence for a PCR the quote did not cover
  const extra = new VirtualPcrs(bank, version.tpm2!.locality);
  for (const e of sces) extra.extend(e.pcr, e.measurement);
  extra.extend(11, Buffer.alloc(32, 1));
  assert.match((verifyAttestation(quote, extra) as { reason: string }).reason, /firmware evidence .*PCR 11 not quoted/);
  await store.close();
});

test('tampered evidence: an IMA entry that does not replay, a forged boot aggregate, another nonce', async () => {
  const { store, att } = await referenceStore();
  const flip = (e: UntrustedComponentEvidence): UntrustedComponentEvidence => {
    const m = Buffer.from(e.measurement);
    m[0] ^= 1;
    return { ...e, measurement: m, pcrChange: undefined };
  };
  const lastIma = sces.length - 1;
  const replay = await check(
    att,
    store,
    sces.map((e, i) => (i === lastIma ? flip(e) : e)),
  );
  assert.deepEqual(replay.quote, {
    ok: false,
    reason: 'the evidence does not replay to the quoted PCR values (PCR composite digest differs)',
  });
  const baIndex = sces.findIndex((e) => e.policyUri === 'sha256:boot_aggregate');
  const forged = await check(
    att,
    store,
    sces.map((e, i) => (i === baIndex ? flip(e) : e)),
  );
  assert.ok(
    forged.summary.failures.includes(
      'boot aggregate computed over PCR0..PCR9 does not match the boot_aggregate measurement',
    ),
  );
  const stale = await check(att, store, sces, Buffer.alloc(32, 7));
  assert.equal(stale.quote.ok, false);
  assert.match((stale.quote as { reason: string }).reason, /signature verification failed/);
  // the reason says nothing was registered (it did not say "registered 14 ..." when the check failed)
  assert.equal(stale.summary.biosText, '14 BIOS evidence measurements not registered');
  assert.ok(!stale.summary.imaText!.includes('registered IMA boot aggregate'));
  // nothing was registered from evidence that did not verify
  assert.equal((await att.componentHashes((await store.findDevice(DEVICE))!.id, HASH_ALG.SHA256)).size, 0);
  await store.close();
});
