import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEventLog, replayEventLog, pcrsExtended } from '../../src/measurements/eventlog';
import { FIXTURES, LAB, decodeError, fixture, vmPcrs, yamlPcrs } from './_fixtures';
import { verifyEventLog } from '../../src/measurements/verify';

for (const vm of ['seabios', 'ovmf']) {
  test(`${vm} boot: the event log replays to the guest's PCRs in sha1 and sha256`, () => {
    const log = decodeEventLog(fixture('vm', vm, 'binary_bios_measurements'));
    assert.equal(log.format, 'crypto-agile');
    assert.deepEqual(
      log.algorithms.map((a) => a.name),
      ['sha1', 'sha256'],
    );
    const v = verifyEventLog(log, vmPcrs(vm));
    assert.ok(v.ok, v.ok ? '' : v.mismatches.map((m) => m.reason).join('\n'));
    assert.deepEqual(v.verified.banks, ['sha1', 'sha256']);
  });
}

test('ovmf log: EV_EFI_* events are named, the initrd is in PCR 9', () => {
  const log = decodeEventLog(fixture('vm', 'ovmf', 'binary_bios_measurements'));
  const names = new Set(log.events.map((e) => e.typeName));
  assert.ok(names.has('EV_EFI_VARIABLE_DRIVER_CONFIG') && names.has('EV_SEPARATOR') && names.has('EV_NO_ACTION'));
  assert.ok(pcrsExtended(log).includes(9));
});

test('strongSwan lab log: EVENT2 records without a Spec ID header, StartupLocality 3', () => {
  const log = decodeEventLog(readFileSync(join(LAB, 'binary_bios_measurements')));
  assert.equal(log.format, 'crypto-agile-no-spec-id');
  assert.equal(log.startupLocality, 3);
  const expected = JSON.parse(readFileSync(join(LAB, 'expected_pcrs.json'), 'utf8'));
  const v = verifyEventLog(log, expected);
  assert.ok(v.ok, v.ok ? '' : v.mismatches.map((m) => m.reason).join('\n'));
});

const logs = readdirSync(join(FIXTURES, 'eventlogs'));
for (const json of logs.filter((f) => f.endsWith('.pcrs.json') && !f.startsWith('go-attestation-ebs'))) {
  const spec = JSON.parse(fixture('eventlogs', json).toString('utf8')) as {
    eventlog: string;
    banks: Record<string, Record<number, string>>;
  };
  test(`public log ${spec.eventlog} replays to ${json}`, () => {
    const v = verifyEventLog(decodeEventLog(fixture('eventlogs', spec.eventlog)), spec.banks);
    assert.ok(v.ok, v.ok ? '' : `${v.reason}\n${v.mismatches.map((m) => m.reason).join('\n')}`);
  });
}

for (const yml of logs.filter((f) => /\.ya?ml$/.test(f))) {
  const pcrs = yamlPcrs(yml);
  const bin = yml.endsWith('.bin.yaml') ? yml.slice(0, -5) : yml.replace('.tpm2-tools-5.5.yml', '.bin');
  if (Object.keys(pcrs).length === 0 || !logs.includes(bin)) continue;
  test(`public log ${bin} replays to the PCRs tpm2_eventlog computed (${yml})`, () => {
    const v = verifyEventLog(decodeEventLog(fixture('eventlogs', bin)), pcrs);
    assert.ok(v.ok, v.ok ? '' : `${v.reason}\n${v.mismatches.map((m) => m.reason).join('\n')}`);
  });
}

test('SHA-1 legacy logs (TPM 1.2) parse with every record in TCG_PCR_EVENT format', () => {
  const log = decodeEventLog(fixture('eventlogs', '9elements-tpmtool-binary_bios_measurements_tpm12_bios'));
  assert.equal(log.format, 'sha1-legacy');
  assert.equal(log.events.length, 27);
  assert.deepEqual(Object.keys(replayEventLog(log).pcrs), ['sha1']);
});

test('a log whose firmware skipped two extends: the mismatch names PCR 5, sha1, both values', () => {
  const spec = JSON.parse(fixture('eventlogs', 'go-attestation-ebs_event_missing_eventlog.pcrs.json').toString('utf8'));
  const v = verifyEventLog(decodeEventLog(fixture('eventlogs', spec.eventlog)), spec.banks);
  assert.equal(v.ok, false);
  assert.ok(!v.ok);
  assert.deepEqual(
    v.mismatches.map((m) => [m.pcr, m.bank, m.expected]),
    [[5, 'sha1', '31245808d6d35849bc394f6343f2b3ff908ed5e3']],
  );
  assert.match(v.mismatches[0].reason, /^PCR 5 \(sha1\): quoted 3124.* replay gives [0-9a-f]{40}$/);
});

test('a flipped digest bit gives a mismatch reason for that PCR in that bank only', () => {
  const buf = Buffer.from(fixture('vm', 'seabios', 'binary_bios_measurements'));
  const log = decodeEventLog(buf);
  const target = log.events.find((e) => e.pcr === 4 && e.digests.sha256)!;
  target.digests.sha256[0] ^= 1; // a view into buf: the same as flipping the byte in the file
  const v = verifyEventLog(decodeEventLog(buf), vmPcrs('seabios'));
  assert.ok(!v.ok);
  assert.deepEqual(
    v.mismatches.map((m) => `${m.bank}/${m.pcr}`),
    ['sha256/4'],
  );
});

test('hostile logs: 4 GiB event size, cut record, unknown algorithm → DecodeError at the offset', () => {
  const good = fixture('vm', 'seabios', 'binary_bios_measurements');
  const log = decodeEventLog(good);
  const second = log.events[1];
  const sizeAt = second.offset + 4 + 4 + 4 + 2 + 20 + 2 + 32; // pcr, type, count, sha1, sha256
  const huge = Buffer.from(good);
  huge.writeUInt32LE(0xffffffff, sizeAt);
  const e1 = decodeError(() => decodeEventLog(huge));
  assert.equal(e1.kind, 'overrun');
  assert.equal(e1.offset, sizeAt);

  const e2 = decodeError(() => decodeEventLog(good.subarray(0, second.offset + 30)));
  assert.equal(e2.kind, 'truncated');
  assert.ok(e2.offset >= second.offset && e2.offset <= second.offset + 30);

  const unknown = Buffer.from(good);
  unknown.writeUInt16LE(0x00ee, second.offset + 12);
  const e3 = decodeError(() => decodeEventLog(unknown));
  assert.equal(e3.offset, second.offset + 12);
  assert.match(e3.message, /unknown algorithm 0x00ee/);
});

test('not a log: empty file and text are rejected', () => {
  decodeError(() => decodeEventLog(fixture('eventlogs', 'keylime-binary_bios_measurements-empty')));
  decodeError(() => decodeEventLog(fixture('eventlogs', 'keylime-binary_bios_measurements-bogus')));
});
