import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UntrustedEvidenceFinal } from '../../src/protocol/pa-tnc/tcg/pts';
import { FORGED_CASES, type CaseInputs, type ForgedCase } from './forged/cases';
import { isFinal, type Forge } from './forged/forge';
import { OTHER_DEVICE, startRig, VICTIM, type Rig, type Target } from './forged/rig';

// A hostile endpoint that controls the agent (not the TPM) rewrites what its Attestation IMC sends:
// every forgery must end not allowed, with the check that caught it named in the reasons the
// endpoint is told, against the real IMVs (in process and as `tnc-agent --server-mode`) on swtpm.
const recorded: UntrustedEvidenceFinal[] = [];
const recordFinal: Forge = (attrs) => {
  for (const a of attrs) if (isFinal(a)) recorded.push(a.value);
  return attrs;
};

const inputs: CaseInputs = {
  recordedFinal: () => recorded[0],
  victim: VICTIM,
  otherDeviceId: OTHER_DEVICE,
};

async function expectDenied(rig: Rig, c: ForgedCase): Promise<void> {
  const outcome = await rig.run(c.forge ?? c.forgeWith!(inputs), c.version);
  assert.notEqual(outcome.access, 'allow', `${c.name}: allowed`);
  assert.ok(
    outcome.reasons.some((r) => c.reason.test(r)),
    `${c.name}: no reason matches ${c.reason}\n${outcome.reasons.join('\n')}`,
  );
}

async function expectAllowed(rig: Rig): Promise<void> {
  const outcome = await rig.run(recordFinal);
  assert.equal(outcome.access, 'allow', outcome.reasons.join('\n'));
}

test('the suite covers at least 25 forgeries', () =>
  assert.ok(FORGED_CASES.length >= 25, `${FORGED_CASES.length} cases`));

for (const target of (process.env.FORGED_TARGETS?.split(',') ?? ['in-process', 'standalone']) as Target[]) {
  describe(`forged evidence against the ${target} server`, () => {
    let rig: Rig;
    before(async () => {
      rig = await startRig(target);
    });
    after(() => rig?.close());

    test('the untampered endpoint: allow / compliant (its boot registered)', () => expectAllowed(rig));
    for (const c of FORGED_CASES.filter((x) => x.boot === 'clean')) test(c.name, () => expectDenied(rig, c));
    test('the untampered endpoint after every forgery: still allow (nothing registered or poisoned)', () =>
      expectAllowed(rig));
    test('the firmware changes: one more PCR 4 event than registered', () => rig.modifyBoot());
    for (const c of FORGED_CASES.filter((x) => x.boot === 'modified'))
      test(`modified boot: ${c.name}`, () => expectDenied(rig, c));
  });
}

describe("the 'any' recommendation policy (the most permissive IMV verdict wins)", () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig('in-process', 'any');
  });
  after(() => rig?.close());
  test('the untampered endpoint: allow', () => expectAllowed(rig));
  // an identity switch is vetoed by the session whatever the other IMVs say
  for (const c of FORGED_CASES.filter((x) => /device's ID|Device ID|product/.test(x.name)))
    test(c.name, () => expectDenied(rig, c));
});
