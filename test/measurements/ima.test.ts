import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkBootAggregate,
  decodeImaAscii,
  decodeImaBinary,
  decodeImaFields,
  encodeImaEntry,
  replayImaEntries,
  replayImaList,
  streamImaFile,
} from '../../src/measurements/ima';
import { FIXTURES, LAB, decodeError, fixture, vmPcrs } from './_fixtures';
import { quotedPcr10, verifyImaReplay } from '../../src/measurements/verify';

for (const vm of ['seabios', 'ovmf']) {
  test(`${vm} boot: the IMA list replays to PCR 10 read after the copy, in sha1 and sha256`, () => {
    const after = vmPcrs(vm, 'pcr10-after-copy.txt');
    const r = replayImaList(fixture('vm', vm, 'binary_runtime_measurements'), {
      banks: ['sha1', 'sha256'],
      quoted: quotedPcr10(after),
    });
    assert.equal(r.templateHashMismatches, 0);
    assert.equal(r.pcrs.sha1[10], after.sha1[10]);
    assert.equal(r.pcrs.sha256[10], after.sha256[10]);
    const v = verifyImaReplay(r);
    assert.ok(v.ok && v.verified.entries === r.entries, JSON.stringify(v));
  });

  test(`${vm} boot: the list is trusted up to the prefix that matches PCR 10 read before it grew`, () => {
    const before = vmPcrs(vm);
    const buf = fixture('vm', vm, 'binary_runtime_measurements');
    const r = replayImaList(buf, { banks: ['sha1', 'sha256'], quoted: quotedPcr10(before) });
    const v = verifyImaReplay(r);
    assert.ok(v.ok);
    assert.ok(v.verified.entries > 1 && v.verified.entries < r.entries);
    const prefix = decodeImaBinary(buf).slice(0, v.verified.entries);
    const again = replayImaList(Buffer.concat(prefix.map((e) => encodeImaEntry(e))), { banks: ['sha1', 'sha256'] });
    assert.equal(again.pcrs.sha1[10], before.sha1[10]);
    assert.equal(again.pcrs.sha256[10], before.sha256[10]);
  });

  test(`${vm} boot: boot_aggregate is sha256 over PCR0-9 of the TPM`, () => {
    const [first] = decodeImaBinary(fixture('vm', vm, 'binary_runtime_measurements'));
    const check = checkBootAggregate(first, vmPcrs(vm));
    assert.ok(check.ok, check.reason);
    assert.equal(check.bank, 'sha256');
    assert.equal(check.range, 'PCR0-9');
  });

  test(`${vm} boot: the ascii list gives the same entries and replay`, async () => {
    const bin = decodeImaBinary(fixture('vm', vm, 'binary_runtime_measurements'));
    const ascii = decodeImaAscii(fixture('vm', vm, 'ascii_runtime_measurements'));
    assert.equal(ascii.length, bin.length);
    ascii.forEach((e, i) => assert.ok(e.templateData.equals(bin[i].templateData), `entry ${i}`));
    const after = vmPcrs(vm, 'pcr10-after-copy.txt');
    const r = await replayImaEntries(ascii, { banks: ['sha1', 'sha256'] });
    assert.equal(r.pcrs.sha256[10], after.sha256[10]);
  });

  test(`${vm} boot: streaming the file in small chunks replays the same`, async () => {
    const path = join(FIXTURES, 'vm', vm, 'binary_runtime_measurements');
    const r = await replayImaEntries(streamImaFile(path, 97), { banks: ['sha1'] });
    assert.equal(r.entries, decodeImaBinary(readFileSync(path)).length);
    assert.equal(r.pcrs.sha1[10], vmPcrs(vm, 'pcr10-after-copy.txt').sha1[10]);
  });
}

test('strongSwan lab evidence: ima-ng list replays to expected PCR 10, boot aggregate from its PCRs', () => {
  const expected = JSON.parse(readFileSync(join(LAB, 'expected_pcrs.json'), 'utf8'));
  const r = replayImaList(readFileSync(join(LAB, 'binary_runtime_measurements')), {
    banks: ['sha1', 'sha256'],
    quoted: quotedPcr10(expected),
  });
  assert.ok(verifyImaReplay(r).ok);
  const ascii = decodeImaAscii(readFileSync(join(LAB, 'ascii_runtime_measurements')));
  assert.equal(decodeImaFields(ascii[1]).path, '/usr/bin/bash');
  const check = checkBootAggregate(ascii[0], expected);
  assert.ok(check.ok, check.reason);
});

test('templates ima, ima-ng, ima-sig: template hashes check out; violations counted', () => {
  const cases: [string, string, number][] = [
    ['tpm2-tss-sml-ima-sha1.bin', 'ima', 0],
    ['tpm2-tss-sml-ima-ng-sha1.bin', 'ima-ng', 0],
    ['tpm2-tss-sml-ima-sig-sha256-invalidated.bin', 'ima-sig', 1],
    ['tpm2-tss-sml-ima-sha1-invalidated.bin', 'ima', 1],
  ];
  for (const [file, template, violations] of cases) {
    let buf = fixture('ima', file);
    if (buf[buf.length - 1] === 0x0a) buf = buf.subarray(0, -1); // upstream's stray newline
    const r = replayImaList(buf);
    assert.equal(r.templateHashMismatches, 0, file);
    assert.equal(r.violations, violations, file);
    assert.equal(decodeImaBinary(buf)[0].template, template);
  }
});

test('a violation (zero template hash) is extended as all ones', () => {
  const r = replayImaList(fixture('ima', 'tpm2-tss-sml-ima-sha1-invalidated.bin'));
  const expected = createHash('sha1').update(Buffer.alloc(20)).update(Buffer.alloc(20, 0xff)).digest('hex');
  assert.equal(r.pcrs.sha1[10], expected);
});

test('a flipped byte in template data is reported with the entry and offset; replay no longer verifies', () => {
  const buf = Buffer.from(fixture('vm', 'seabios', 'binary_runtime_measurements'));
  const e = decodeImaBinary(buf)[3];
  buf[e.dataOffset + e.templateData.length - 2] ^= 0x20;
  const r = replayImaList(buf, {
    banks: ['sha1', 'sha256'],
    quoted: quotedPcr10(vmPcrs('seabios', 'pcr10-after-copy.txt')),
  });
  assert.deepEqual(r.mismatchedEntries, [{ index: 3, offset: e.offset }]);
  const v = verifyImaReplay(r);
  assert.ok(!v.ok);
  assert.ok(v.reasons.some((s) => s.includes(`#3 at offset ${e.offset}`)));
  assert.ok(v.reasons.some((s) => s.startsWith('PCR 10 (sha256)')));
});

/** The replay done the plain way, with node:crypto, over decoded entries of templates other than `ima`. */
function nodeReplay(buf: Buffer): Record<string, Record<number, string>> {
  const out: Record<string, Record<number, Buffer>> = { sha1: {}, sha256: {} };
  for (const e of decodeImaBinary(buf)) {
    const violation = e.templateHash.equals(Buffer.alloc(20));
    for (const [bank, size] of [
      ['sha1', 20],
      ['sha256', 32],
    ] as const) {
      const digest = violation
        ? Buffer.alloc(size, 0xff)
        : bank === 'sha1'
          ? e.templateHash
          : createHash(bank).update(e.templateData).digest();
      out[bank][e.pcr] = createHash(bank)
        .update(out[bank][e.pcr] ?? Buffer.alloc(size))
        .update(digest)
        .digest();
    }
  }
  const hex = (m: Record<number, Buffer>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.toString('hex')]));
  return { sha1: hex(out.sha1), sha256: hex(out.sha256) };
}

test('both banks equal a node:crypto replay, with violations and entries for PCRs other than 10', () => {
  const buf = Buffer.from(fixture('vm', 'seabios', 'binary_runtime_measurements'));
  const entries = decodeImaBinary(buf);
  for (const i of [5, 6, 40]) buf.writeUInt32LE(11 + (i % 2), entries[i].offset);
  buf.fill(0, entries[7].offset + 4, entries[7].offset + 24);
  const r = replayImaList(buf, { banks: ['sha1', 'sha256'] });
  assert.equal(r.violations, 1);
  assert.equal(r.templateHashMismatches, 0);
  assert.deepEqual(Object.keys(r.pcrs.sha1), ['10', '11', '12']);
  assert.deepEqual(r.pcrs, nodeReplay(buf));
  const sig = fixture('ima', 'tpm2-tss-sml-ima-sig-sha256-invalidated.bin');
  assert.deepEqual(replayImaList(sig, { banks: ['sha1', 'sha256'] }).pcrs, nodeReplay(sig));
});

test('hostile IMA lists: 4 GiB data length, cut entry, unknown template or algorithm → DecodeError with offset', () => {
  const good = fixture('vm', 'seabios', 'binary_runtime_measurements');
  const [first, second] = decodeImaBinary(good);
  const huge = Buffer.from(good);
  huge.writeUInt32LE(0xffffffff, second.dataOffset - 4);
  const e1 = decodeError(() => decodeImaBinary(huge));
  assert.equal(e1.kind, 'limit');
  assert.equal(e1.offset, second.dataOffset - 4);

  const cut = good.subarray(0, second.offset + 40);
  const e2 = decodeError(() => decodeImaBinary(cut));
  assert.equal(e2.kind, 'truncated');
  assert.equal(e2.offset, second.offset);
  // the replay keeps what parsed and reports the unfinished tail: the verifier decides
  const partial = replayImaList(cut);
  assert.equal(partial.entries, 1);
  assert.deepEqual(partial.tail, { offset: second.offset, length: 40 });

  const badName = Buffer.from(good);
  badName.write('imx-ng', first.offset + 28, 'latin1');
  const e3 = decodeError(() => decodeImaBinary(badName));
  assert.equal(e3.offset, 28);
  assert.match(e3.message, /unknown template 'imx-ng'/);

  const badAlgo = Buffer.from(good);
  badAlgo.write('shaXYZ', second.dataOffset + 4, 'latin1');
  const e4 = decodeError(() => decodeImaFields(decodeImaBinary(badAlgo)[1]));
  assert.equal(e4.offset, second.dataOffset + 4);
  decodeError(() => decodeImaAscii(fixture('ima', 'keylime-ima-log-unknown')));
  decodeError(() => decodeImaAscii(fixture('ima', 'rust-keylime-invalid_ima_log.txt')));
});

test('public ascii lists: rust-keylime (826 entries, no TPM: zero boot_aggregate), keylime samples', () => {
  const list = decodeImaAscii(fixture('ima', 'rust-keylime-ascii_runtime_measurements'));
  assert.equal(list.length, 826);
  const check = checkBootAggregate(list[0], {});
  assert.equal(check.ok, false);
  assert.match(check.reason, /all zeros/);
  for (const f of ['keylime-ima-log-sha1', 'keylime-ima-log-sha256', 'keylime-ima-log-sha512'])
    assert.equal(decodeImaAscii(fixture('ima', f)).length, 2);
});
