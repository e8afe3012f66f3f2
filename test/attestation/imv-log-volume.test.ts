import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, MemorySink } from '../../src/log';
import {
  COMP_QUALIFIER,
  hashAlgInfo,
  HASH_ALG,
  ITA_COMP,
  PCR_TRANSFORM,
  SCE_VALIDATION,
  type UntrustedComponentEvidence,
} from '../../src/protocol/pa-tnc/tcg/pts';
import { VENDOR } from '../../src/protocol/vendors';
import { PolicyStore } from '../../src/policy/store';
import { AttestationStore, AttestationView } from '../../src/policy/attestation';
import { lookupPaths, parseImaUri } from '../../src/imvs/attestation/ima-lookup';
import { DEFAULT_PLATFORM_PCRS, EvidenceChecker, FIRST_FEW } from '../../src/imvs/attestation/evidence';

// Log volume at scale: at level 1 the verifier names the first few unknown files and counts the
// rest (a 100,000-entry list once logged 6,356 lines); level 2 lists every one.
const bank = hashAlgInfo(HASH_ALG.SHA256)!;
const UNKNOWN = 40;

function ima(path: string, fill: number): UntrustedComponentEvidence {
  return {
    validation: SCE_VALIDATION.PASSED,
    depth: 0,
    component: { vendor: VENDOR.ITA, family: 0, qualifier: COMP_QUALIFIER.KERNEL | 0x02, name: ITA_COMP.IMA },
    pcr: 10,
    hashAlgorithm: bank.bit,
    transform: PCR_TRANSFORM.MATCH,
    measurementTime: '2026-12-05T00:00:00Z',
    policyUri: `sha256:${path}`,
    measurement: Buffer.alloc(32, fill),
  };
}

async function run(level: number): Promise<{ lines: string[]; text: string }> {
  const store = await PolicyStore.open(':memory:');
  try {
    const device = await store.getOrCreateDevice('log-volume-device', 'Debian 12 x86_64');
    const productId = await store.getOrCreateProduct('Debian 12 x86_64');
    const evidence = [ima('boot_aggregate', 0)];
    for (let i = 1; i <= UNKNOWN; i++) evidence.push(ima(`/usr/lib/x/f${i}.so`, i));
    // the view the IMV loads before an evidence message (src/imvs/attestation/attestation-imv.ts)
    const view = new AttestationView(new AttestationStore(store));
    await view.loadRegistered(device.id, bank.bit);
    const paths = evidence.map((e) => parseImaUri(e.policyUri!).path);
    await view.loadReferences(productId, bank.bit, lookupPaths(paths, []));
    const sink = new MemorySink();
    const checker = new EvidenceChecker({
      store: view,
      deviceId: device.id,
      productId,
      bank,
      locality: 0,
      symlinks: [],
      requested: { bios: false, ima: true },
      platformPcrs: DEFAULT_PLATFORM_PCRS,
      failUnboundUnknown: false,
      log: new Logger(level, 'text', sink),
    });
    for (const e of evidence) checker.add(e);
    checker.finish();
    await view.flush();
    return { lines: sink.lines, text: checker.texts(false)[0] };
  } finally {
    await store.close();
  }
}

const notFound = (lines: string[]) => lines.filter((l) => / for '\/usr\/lib\/x\/f\d+\.so' not found/.test(l));

test('level 1: the first few unknown files by name, then how many more; the counts in the result text', async () => {
  const { lines, text } = await run(1);
  assert.equal(notFound(lines).length, FIRST_FEW);
  assert.ok(notFound(lines)[0].includes("for '/usr/lib/x/f1.so' not found"), notFound(lines)[0]);
  assert.ok(
    lines.includes(
      `[PTS] ${UNKNOWN - FIRST_FEW} more IMA files not found in the reference hashes (each one at log level 2)`,
    ),
    lines.join('\n'),
  );
  assert.match(text, new RegExp(`processed ${UNKNOWN} IMA file evidence measurements: 0 ok, ${UNKNOWN} unknown`));
});

test('level 2: every unknown file, and no "more" line', async () => {
  const { lines } = await run(2);
  assert.equal(notFound(lines).length, UNKNOWN);
  assert.ok(!lines.some((l) => l.includes('more IMA files not found')));
});
