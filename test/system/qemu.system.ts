import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeLabPki, type LabPki } from '../../src/cli/commands/pki';
import { decodeImaBinary, decodeImaFields, replayImaEntries, checkBootAggregate } from '../../src/measurements/ima';
import { decodeEventLog, replayEventLog } from '../../src/measurements/eventlog';
import { comparePcrs, parsePcrRead, type PcrValues } from '../../src/measurements/pcrs';
import {
  bootGuest,
  buildAgent,
  dbCommand,
  guestText,
  qemuUnavailable,
  saveArtifacts,
  startServer,
  type DbCommand,
  type Firmware,
  type GuestRun,
  type ServerProcess,
} from './vm';
import { ATTESTATION, type AttestOutcome } from './attestation-step';
import {
  checkImaSigList,
  checkSignatures,
  guestSigningKey,
  IMA_SIG_ARGS,
  makeSigningKey,
  prepareXfer,
  SIGNED,
  TAMPERED,
  type SigningKey,
} from './ima-sig-step';
import { skipUnlessRequired } from '../helpers/require';

// The agent on a real kernel: a QEMU guest (Debian's kernel, IMA, TPM 2.0 on swtpm, the host's root
// read-only over 9p) runs `tnc-agent` against `tnc-agent --server-mode` on the host. Per variant two
// boots on one TPM: boot 1 is the first run; boot 2 is a changed boot (a new boot_aggregate),
// attests, then changes and runs a probe file and attests again. Nothing here is recorded: every
// value comes from the guest. Variants: SeaBIOS and OVMF with the tcb policy and ima-ng; OVMF with
// ima-sig, the test's own policy and files signed by evmctl (ima-sig-step.ts), against a server
// that holds the signing certificate.
interface Variant {
  name: string;
  firmware: Firmware;
  imaSig: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'seabios', firmware: 'seabios', imaSig: false },
  { name: 'ovmf', firmware: 'ovmf', imaSig: false },
  { name: 'ovmf-ima-sig', firmware: 'ovmf', imaSig: true },
];
// Boot 2 runs with run-vm.sh --boot-tag: measured on both firmwares, the tag changes one PCR below 10
// SeaBIOS: the SMBIOS tables (system serial number) in PCR 1; OVMF: the EFI stub's
// "LOADED_IMAGE::LoadOptions" event (the kernel command line) in PCR 9 (OVMF measures no SMBIOS)
const BOOT2_TAG = 'boot2';
// a guard against a hung guest; boot 2 of ima-sig runs node four times under TCG (slow on a busy host)
const GUEST_TIMEOUT = 900;
const TAGGED_PCR: Record<Firmware, number> = { seabios: 1, ovmf: 9 };
const unavailable = skipUnlessRequired('system', qemuUnavailable());
if (unavailable) console.log(`SKIP system test: QEMU cannot run here: ${unavailable}`);

const PROBE_V1 = '#!/bin/sh\necho probe v1\n';
const dir = mkdtempSync('/tmp/tnc-system-'); // under /tmp: the guest sees it (read-only)
let agent: string;
let pki: LabPki;
let signing: SigningKey;

/** A variant's policy database and server: each variant learns its own device and files. */
interface Lab {
  db: DbCommand;
  server: ServerProcess;
}

before(async () => {
  if (unavailable) return;
  pki = await makeLabPki({ out: join(dir, 'pki'), serverCn: 'tnc-server', clientCn: 'guest.lab', days: 2 });
  agent = buildAgent(join(dir, 'agent'));
  signing = makeSigningKey(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function startLab(v: Variant): Promise<Lab> {
  const file = join(dir, `policy-${v.name}.db`);
  const db = dbCommand(agent, file);
  ATTESTATION?.prepare(db);
  // the ima-sig server checks signatures with the key stored in its policy database
  if (v.imaSig) console.log(`# ${db(['import-ima-keys', signing.cert]).trim()}`);
  const args = v.imaSig ? ['--ima-signatures', 'bad'] : [];
  return { db, server: await startServer({ agent, db: file, pki: pki.files, args }) };
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const json = <T>(run: GuestRun, step: string): T => JSON.parse(guestText(run, `${step}.json`)) as T;
const guestFile = (run: GuestRun, name: string) => readFileSync(join(run.xfer, 'out', name));

async function boot(v: Variant, lab: Lab, n: 1 | 2): Promise<GuestRun> {
  const xfer = join(dir, v.name); // the same exchange dir for both boots: same paths in IMA
  rmSync(join(xfer, 'out'), { recursive: true, force: true });
  rmSync(join(xfer, 'second-boot'), { force: true });
  const run = await bootGuest({
    firmware: v.firmware,
    xfer,
    tpmState: join(dir, `tpm-${v.name}`),
    timeoutSeconds: GUEST_TIMEOUT,
    bootTag: n === 2 ? BOOT2_TAG : undefined,
    ima: v.imaSig ? IMA_SIG_ARGS : undefined,
    env: {
      AGENT: agent,
      SERVER: `10.0.2.2:${lab.server.port}`,
      PKI: pki.dir,
      SERVERNAME: pki.serverCn,
      ATTEST_ARGS: (ATTESTATION?.agentArgs ?? []).join(' '),
      ...(v.imaSig ? { IMA_SIGN_KEY: guestSigningKey(xfer) } : {}),
    },
    setup: (x) => {
      writeFileSync(join(x, 'probe.sh'), PROBE_V1);
      chmodSync(join(x, 'probe.sh'), 0o755);
      if (v.imaSig) prepareXfer(x, signing);
      if (n === 2) writeFileSync(join(x, 'second-boot'), '');
    },
  });
  console.log(`# ${v.name} boot ${n}: ${run.log.trim().split('\n').pop()}`);
  return run;
}

/** Runs `checks` on a boot's results; on failure keeps the guest's evidence under artifacts/. */
async function checked<T>(run: GuestRun, lab: Lab, name: string, checks: () => T | Promise<T>): Promise<T> {
  try {
    assert.equal(run.rc, 0, `the guest script failed (${run.rc}): ${run.log}`);
    return await checks();
  } catch (e) {
    console.log(`# evidence of the failed boot kept in ${saveArtifacts(run, name, lab.server.log())}`);
    throw e;
  }
}

/** The firmware's event log replays to the TPM's PCRs (and `tnc-agent eventlog` read it, on boot 1 of the OS-only run). */
function checkEventLog(run: GuestRun, firmware: Firmware, pcrs: PcrValues, firstBoot: boolean): PcrValues {
  const log = decodeEventLog(readFileSync(join(run.xfer, 'out', 'binary_bios_measurements')));
  // with attestation the server replays every event against a quote instead (guest-attest.sh)
  if (firstBoot && !ATTESTATION) {
    assert.equal(guestText(run, 'eventlog.rc').trim(), '0', guestText(run, 'eventlog.err'));
    assert.equal(json<{ events: unknown[] }>(run, 'eventlog').events.length, log.events.length);
  }
  const efi = log.events.filter((e) => e.typeName.startsWith('EV_EFI_')).length;
  // SeaBIOS writes BIOS-style events only, OVMF a UEFI log with EV_EFI_* events
  if (firmware === 'ovmf') assert.ok(efi > 0, 'OVMF log without EV_EFI_* events');
  else assert.equal(efi, 0, 'SeaBIOS log with EV_EFI_* events');
  const replayed = replayEventLog(log).pcrs;
  const { mismatches, banksCompared } = comparePcrs(replayed, pcrs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(banksCompared.sort(), ['sha1', 'sha256']);
  assert.deepEqual(
    mismatches.map((m) => m.reason),
    [],
  );
  return replayed;
}

/** The IMA list replays to PCR 10, its boot_aggregate verifies (for `tnc-agent ima` too, on boot 1), the probe is listed with its digest(s). */
async function checkIma(
  run: GuestRun,
  pcrs: PcrValues,
  firmwarePcrs: PcrValues,
  probes: string[],
  firstBoot: boolean,
): Promise<string> {
  const entries = decodeImaBinary(readFileSync(join(run.xfer, 'out', 'binary_runtime_measurements')));
  const replay = await replayImaEntries(entries, { banks: ['sha1', 'sha256'] });
  assert.equal(replay.templateHashMismatches, 0);
  assert.deepEqual(
    comparePcrs(replay.pcrs, pcrs, [10]).mismatches.map((m) => m.reason),
    [],
  );
  const aggregate = checkBootAggregate(entries[0], firmwarePcrs);
  assert.ok(aggregate.ok, aggregate.reason);
  if (firstBoot) {
    // `tnc-agent ima` runs on the first boot only; on boot 2 the server checks the boot_aggregate
    assert.equal(guestText(run, 'ima.rc').trim(), '0', guestText(run, 'ima.err'));
    const fromAgent = json<{ bootAggregateCheck: { ok: boolean; listed: string } }>(run, 'ima');
    assert.deepEqual([fromAgent.bootAggregateCheck.ok, fromAgent.bootAggregateCheck.listed], [true, aggregate.listed]);
  }
  const probePath = join(run.xfer, 'probe.sh');
  const listed = entries
    .map(decodeImaFields)
    .filter((f) => f.path === probePath)
    .map((f) => f.fileDigest.digest.toString('hex'));
  assert.deepEqual(listed, probes, `IMA entries for ${probePath}`);
  return aggregate.listed;
}

/** A boot whose evidence verified: PCR 0-9 replayed from its event log, and its listed boot_aggregate. */
interface VerifiedBoot {
  firmwarePcrs: PcrValues;
  aggregate: string;
}

async function checkBoot(
  run: GuestRun,
  firmware: Firmware,
  probes: string[],
  firstBoot: boolean,
): Promise<VerifiedBoot> {
  const pcrs = parsePcrRead(guestText(run, 'pcrs.txt'));
  const firmwarePcrs = checkEventLog(run, firmware, pcrs, firstBoot);
  return { firmwarePcrs, aggregate: await checkIma(run, pcrs, firmwarePcrs, probes, firstBoot) };
}

/** Boot 2 differs from boot 1 in the tagged PCR only (both banks), hence in its boot_aggregate. */
function checkChangedBoot(firmware: Firmware, first: VerifiedBoot, second: VerifiedBoot): void {
  const changed = comparePcrs(second.firmwarePcrs, first.firmwarePcrs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).mismatches;
  assert.deepEqual(changed.map((m) => `${m.bank}:${m.pcr}`).sort(), [
    `sha1:${TAGGED_PCR[firmware]}`,
    `sha256:${TAGGED_PCR[firmware]}`,
  ]);
  assert.notEqual(second.aggregate, first.aggregate, 'boot 2 listed the same boot_aggregate as boot 1');
  console.log(
    `# ${firmware}: PCR ${TAGGED_PCR[firmware]} changed; boot_aggregate ${first.aggregate} -> ${second.aggregate}`,
  );
}

function outcome(run: GuestRun, step: string): AttestOutcome {
  const rc = guestText(run, `${step}.rc`).trim();
  assert.match(rc, /^[034]$/, `tnc-agent attest exited ${rc}: ${guestText(run, `${step}.err`)}`);
  return json<AttestOutcome>(run, step);
}

/** Boot 1: the evidence verifies on the host; the unknown AK gets the policy's verdict. */
async function firstBoot(v: Variant, lab: Lab): Promise<[GuestRun, VerifiedBoot]> {
  const run = await boot(v, lab, 1);
  const verified = await checked(run, lab, `${v.name}-boot1`, async () => {
    const verified = await checkBoot(run, v.firmware, [sha256(PROBE_V1)], true);
    if (v.imaSig) checkImaSigList(guestFile(run, 'binary_runtime_measurements'), signing, [SIGNED]);
    if (ATTESTATION) ATTESTATION.checkFirstRun(outcome(run, 'attest'));
    else assert.equal(outcome(run, 'attest').access, 'allow');
    return verified;
  });
  return [run, verified];
}

/** Boot 2 after learning from boot 1: allow, then the changed probe (and on ima-sig a tampered signature) fail. */
async function secondBoot(v: Variant, lab: Lab, first: GuestRun, firstVerified: VerifiedBoot): Promise<void> {
  const step = ATTESTATION;
  if (step) await checked(first, lab, `${v.name}-boot1`, () => step.learn(first, lab.db));
  const logStart = lab.server.log().length;
  const run = await boot(v, lab, 2);
  await checked(run, lab, `${v.name}-boot2`, async () => {
    const changed = readFileSync(join(run.xfer, 'probe.sh'));
    const verified = await checkBoot(run, v.firmware, [sha256(PROBE_V1), sha256(changed)], false);
    checkChangedBoot(v.firmware, firstVerified, verified);
    const [before, afterChange] = [outcome(run, 'attest'), outcome(run, 'attest-changed')];
    const serverLog = lab.server.log().slice(logStart);
    if (!step) return assert.deepEqual([before.access, afterChange.access], ['allow', 'allow']);
    step.checkSecondBoot(before, afterChange, join(run.xfer, 'probe.sh'), serverLog, v.imaSig ? 3 : 2);
    if (!v.imaSig) return;
    checkImaSigList(guestFile(run, 'binary_runtime_measurements'), signing, [SIGNED, TAMPERED]);
    checkSignatures(before, afterChange, outcome(run, 'attest-tampered'), step.onFail, serverLog);
  });
}

for (const v of VARIANTS) {
  // the signature checks are the Attestation IMV's: without attestation there is nothing to show
  const skip = unavailable ?? (v.imaSig && !ATTESTATION ? 'the ima-sig boot needs the attestation step' : undefined);
  describe(`the agent in a QEMU guest: ${v.name}`, { skip }, () => {
    let lab: Lab;
    let first: [GuestRun, VerifiedBoot];
    before(async () => (lab = await startLab(v)));
    after(() => lab?.server.stop());
    test('first boot: event log, IMA list and boot_aggregate verify against the TPM; attest', async () => {
      first = await firstBoot(v, lab);
    });
    test(`second boot: a new boot_aggregate that verifies; a changed probe is re-measured and attested${v.imaSig ? '; signatures ok, then one tampered with' : ''}`, async () => {
      await secondBoot(v, lab, ...first);
    });
  });
}
