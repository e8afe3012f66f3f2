import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { imaKeyring, parseImaKeys } from '../../src/measurements/ima';
import {
  HASH_ALG,
  hashAlgInfo,
  ITA_COMP,
  PCR_TRANSFORM,
  SCE_VALIDATION,
  type UntrustedComponentEvidence,
} from '../../src/protocol/pa-tnc/tcg/pts';
import { VENDOR } from '../../src/protocol/vendors';
import { DEFAULT_PLATFORM_PCRS, EvidenceChecker, QUALIFIER_IMA } from '../../src/imvs/attestation/evidence';
import { AttestationStore, AttestationView } from '../../src/policy/attestation';
import { PolicyStore } from '../../src/policy/store';
import { FIXTURES } from '../measurements/_fixtures';

// The Attestation IMV's checker on an ima-sig kernel's evidence: each entry bound by its template
// data, and with IMA signing certificates, each file's signature (made by evmctl) reported per file.
const SIG = join(FIXTURES, 'ima', 'sig');
const bank = hashAlgInfo(HASH_ALG.SHA256)!;
const PRODUCT = 'Debian 12 x86_64';
const DEVICE = 'ima-sig-device';
const keys = imaKeyring(parseImaKeys(readFileSync(join(SIG, 'ima-signing.pem')), 'ima-signing.pem'));
const field = (b: Buffer) => {
  const l = Buffer.alloc(4);
  l.writeUInt32LE(b.length);
  return Buffer.concat([l, b]);
};
const sigData = (digest: Buffer, path: string, sig: Buffer) =>
  Buffer.concat([
    field(Buffer.concat([Buffer.from('sha256:\0', 'latin1'), digest])),
    field(Buffer.from(`${path}\0`, 'utf8')),
    field(sig),
  ]);

const signedDigest = createHash('sha256')
  .update(readFileSync(join(SIG, 'signed.txt')))
  .digest();
const signature = readFileSync(join(SIG, 'signed.txt.sig'));
const tampered = Buffer.from(signature);
tampered[20] ^= 1;
const plainDigest = createHash('sha256').update('plain').digest();
const files = [
  { path: '/usr/bin/signed', digest: signedDigest, sig: signature },
  { path: '/usr/bin/tampered', digest: signedDigest, sig: tampered },
  { path: '/usr/bin/plain', digest: plainDigest, sig: Buffer.alloc(0) },
];

async function run(policy?: 'bad' | 'not-ok') {
  const store = await PolicyStore.open(':memory:');
  const att = new AttestationStore(store);
  await att.importFileHashes(
    PRODUCT,
    files.map((f) => ({ path: f.path, algo: HASH_ALG.SHA256, hash: f.digest })),
  );
  const deviceId = (await store.getOrCreateDevice(DEVICE, PRODUCT)).id;
  const productId = await store.getOrCreateProduct(PRODUCT);
  // what the IMV loads before the evidence message
  const view = new AttestationView(att);
  await view.loadRegistered(deviceId, bank.bit);
  await view.loadReferences(
    productId,
    bank.bit,
    files.map((f) => f.path),
  );
  const sink = new MemorySink();
  const checker = new EvidenceChecker({
    store: view,
    deviceId,
    productId,
    bank,
    locality: 0,
    symlinks: [],
    requested: { bios: false, ima: true },
    platformPcrs: DEFAULT_PLATFORM_PCRS,
    failUnboundUnknown: true,
    log: new Logger(1, 'text', sink),
    imaKeys: keys,
    imaSignaturePolicy: policy,
  });
  const entries = [{ path: 'boot_aggregate', digest: Buffer.alloc(32, 7), sig: Buffer.alloc(0) }, ...files];
  for (const f of entries) {
    const data = sigData(f.digest, f.path, f.sig);
    const e: UntrustedComponentEvidence = {
      validation: SCE_VALIDATION.PASSED,
      depth: 0,
      component: { vendor: VENDOR.ITA, family: 0, qualifier: QUALIFIER_IMA, name: ITA_COMP.IMA },
      pcr: 10,
      hashAlgorithm: bank.bit,
      transform: PCR_TRANSFORM.MATCH,
      measurementTime: '2026-12-05T00:00:00Z',
      policyUri: `sha256:${f.path}`,
      measurement: createHash('sha256').update(data).digest(),
    };
    checker.add(e);
    checker.addTemplateData({ template: 'ima-sig', data });
  }
  const summary = checker.finish();
  return { failures: summary.failures, texts: checker.texts(false), lines: sink.lines };
}

test('ima-sig evidence: every file bound and ok by reference hash; signatures ok / bad / missing per file; a bad one fails', async () => {
  const r = await run();
  assert.ok(
    r.texts[0].endsWith('processed 3 IMA file evidence measurements: 3 ok, 0 unknown, 0 differ, 0 failed'),
    r.texts[0],
  );
  assert.equal(r.texts[1], 'IMA signatures: 1 ok, 1 bad, 1 missing, 0 unknown key, 0 unsupported');
  assert.deepEqual(r.failures, ['1 IMA file signatures are bad: /usr/bin/tampered']);
  assert.ok(r.lines.some((l) => l.includes("IMA signature of '/usr/bin/tampered' is bad")));
  // what does not fail is logged at level 2 only (one line per file would flood level 1)
  assert.ok(!r.lines.some((l) => l.includes("IMA signature of '/usr/bin/plain'")));
});

test('ima-sig evidence with the strict policy: a missing signature fails too', async () => {
  const r = await run('not-ok');
  assert.deepEqual(r.failures, [
    '1 IMA file signatures are bad: /usr/bin/tampered',
    '1 IMA file signatures are missing: /usr/bin/plain',
  ]);
  assert.ok(r.lines.some((l) => l.includes("IMA signature of '/usr/bin/plain' is missing: no signature")));
});
