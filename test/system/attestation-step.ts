import assert from 'node:assert/strict';
import { join } from 'node:path';
import { guestText, type DbCommand, type GuestRun } from './vm';

/** What `tnc-agent attest --json` prints. */
export interface AttestOutcome {
  access: 'allow' | 'isolate' | 'no access';
  evaluation: string;
  reasons: string[];
}

/**
 * The attestation part of the system test (TCG PTS over IF-M: quote, event log, IMA list). The
 * policy enforces TPMRA 'BI' before boot 1. Boot 1 provisions the AK in the guest and attests: its
 * AK is unknown, so the verdict is the policy's. From boot 1 the server learns (`learn`): the AK is
 * trusted and the files of its IMA list become the product's reference hashes. Boot 2 (a new
 * boot_aggregate) is allow/compliant; after the probe file changed and ran, the next attestation
 * names its path as differing and the verdict is again the policy's.
 * Boot 2 differs from boot 1 below PCR 10, yet that is no finding here: the IMV registers a device's
 * BIOS measurements and boot aggregate on the first contact whose AK is trusted and whose quote
 * verifies (trust on first use), and boot 1's AK was not trusted yet, so boot 2's first attestation
 * registers them and its second one checks against them. A later boot that differs from them is
 * a finding ("... differ from the registered ones": the verdict is the policy's).
 */
export interface AttestationStep {
  /** The verdict a failed check gives (the enforcement's rec_fail). */
  onFail: AttestOutcome['access'];
  /** Extra `tnc-agent attest` options inside the guest (enable the Attestation IMC, TCTI device:/dev/tpmrm0). */
  agentArgs: string[];
  /** Seeds the policy database before the server starts. */
  prepare(db: DbCommand): void;
  /** Learns from the first boot: trusts its AK, imports its IMA list as reference hashes. */
  learn(first: GuestRun, db: DbCommand): void;
  checkFirstRun(o: AttestOutcome): void;
  /** `attestations`: how many boot 2 made (the server log holds them all). */
  checkSecondBoot(
    before: AttestOutcome,
    afterChange: AttestOutcome,
    probePath: string,
    serverLog: string,
    attestations: number,
  ): void;
}

interface Device {
  value: string;
  product: string | null;
}

/** The AK key ID `tnc-agent tpm provision --json` printed in the guest on boot 1. */
function provisionedKeyId(first: GuestRun): string {
  assert.equal(
    guestText(first, 'provision.rc').trim(),
    '0',
    `tpm provision failed: ${guestText(first, 'provision.err')}`,
  );
  return (JSON.parse(guestText(first, 'provision.json')) as { keyId: string }).keyId;
}

function learn(first: GuestRun, db: DbCommand): void {
  const keyId = provisionedKeyId(first);
  // the OS IMC reported the AK key ID as Device ID, with the guest's product
  const devices = JSON.parse(db(['show', 'devices', '--json'])) as Device[];
  const product = devices.find((d) => d.value === keyId)?.product;
  assert.ok(product, `the server has no product for device ${keyId}: ${JSON.stringify(devices)}`);
  const list = join(first.xfer, 'out', 'binary_runtime_measurements');
  console.log(`# ${db(['import-hashes', '--product', product, '--ima-list', list]).trim()}`);
  db(['device', 'trust', keyId]);
}

/** The files a verdict's reasons name as differing from the reference hashes (evidence.ts: "N IMA file measurements differ ...: a, b"). */
export function differing(o: AttestOutcome): string[] {
  return o.reasons
    .flatMap((r) => r.split('; '))
    .flatMap(
      (r) => /^\d+ IMA file measurements differ from the reference hashes: (.*)$/.exec(r)?.[1].split(', ') ?? [],
    );
}

const count = (log: string, re: RegExp) => (log.match(new RegExp(re.source, 'gm')) ?? []).length;

/**
 * The server's log of boot 2's `n` attestations: the boot_aggregate verified against the quoted
 * PCR 0-9 each time; the BIOS measurements and the boot aggregate were registered by the first
 * (first contact with the now trusted AK) and were the same in every later one.
 */
function checkBootEvidence(serverLog: string, n: number): void {
  assert.equal(
    count(serverLog, /\[PTS\] boot aggregate computed over PCR0\.\.PCR9 is correct$/),
    n,
    `the boot aggregate did not verify in all ${n} attestations`,
  );
  const bios = /\[PTS\] registering (\d+) BIOS evidence measurements$/m.exec(serverLog);
  assert.ok(bios, 'boot 2 registered no BIOS evidence measurements');
  for (const [line, times] of [
    [`checking ${bios[1]} BIOS evidence measurements`, n - 1],
    [`${bios[1]} BIOS evidence measurements are ok`, n - 1],
    ['registering boot aggregate evidence measurement', 1],
    ['checking boot aggregate evidence measurement', n - 1],
  ] as const) {
    assert.equal(
      count(serverLog, new RegExp(`\\[PTS\\] ${line}$`)),
      times,
      `the server logged '${line}' not ${times} times`,
    );
  }
}

/** Attestation of the boot log ('B') and the IMA list ('I'); a failed check gives `onFail`. */
export function attestationStep(onFail: AttestOutcome['access']): AttestationStep {
  return {
    onFail,
    agentArgs: ['--tcti', 'device:/dev/tpmrm0'],
    prepare: (db) => void db(['enforce', 'TPMRA', 'BI', '--rec-fail', onFail.replace(' ', '-')]),
    learn,
    checkFirstRun: (o) => {
      assert.equal(o.access, onFail, JSON.stringify(o));
      assert.ok(
        o.reasons.some((r) => r.includes('is not marked trusted')),
        `the unknown AK is not the reason: ${JSON.stringify(o.reasons)}`,
      );
    },
    checkSecondBoot: (before, changed, probePath, serverLog, attestations) => {
      assert.deepEqual([before.access, before.evaluation], ['allow', 'compliant'], JSON.stringify(before));
      assert.equal(changed.access, onFail, JSON.stringify(changed));
      assert.deepEqual(differing(changed), [probePath], `the changed files named: ${JSON.stringify(changed.reasons)}`);
      assert.ok(
        serverLog.includes(`for '${probePath}' differs from the reference hashes`),
        'the server did not log the differing probe',
      );
      checkBootEvidence(serverLog, attestations);
    },
  };
}

/** Switch: undefined runs the OS-only handshake plus the agent's ima/eventlog commands. */
export const ATTESTATION: AttestationStep | undefined = attestationStep('isolate');
