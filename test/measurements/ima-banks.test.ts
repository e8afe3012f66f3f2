import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parsePcrRead } from '../../src/measurements/pcrs';
import {
  decodeImaAscii,
  decodeImaBinary,
  decodeImaFields,
  imaListBankOf,
  probeImaHashSize,
  replayImaEntries,
  replayImaList,
} from '../../src/measurements/ima';
import { fixture, vmPcrs } from './_fixtures';
import { quotedPcr10, verifyImaReplay } from '../../src/measurements/verify';

// test/data/fixtures/ima/per-bank: derived from the OVMF guest's SHA-1 lists (see its PROVENANCE.md)
const perBank = (name: string) => fixture('ima', 'per-bank', name);
const expected = parsePcrRead(perBank('pcr10.txt').toString('utf8'));
const guest = vmPcrs('ovmf', 'pcr10-after-copy.txt');
const SIZES = { sha256: 32, sha384: 48 } as const;

/** PCR 10 the plain way: extend each listed hash (all ones for an all-zero one) with node:crypto. */
function plainPcr10(bank: string, size: number, hashes: Buffer[]): string {
  let pcr = Buffer.alloc(size);
  for (const h of hashes)
    pcr = createHash(bank)
      .update(pcr)
      .update(h.every((b) => b === 0) ? Buffer.alloc(size, 0xff) : h)
      .digest();
  return pcr.toString('hex');
}

for (const [bank, size] of Object.entries(SIZES)) {
  test(`per-bank ${bank} lists, binary and ascii: ${size}-byte template hashes parse, check and replay to the bank's PCR 10`, async () => {
    const binary = perBank(`binary_runtime_measurements_${bank}`);
    assert.equal(imaListBankOf(`/sys/kernel/security/ima/binary_runtime_measurements_${bank}`), bank);
    assert.equal(probeImaHashSize(binary), size);
    const entries = decodeImaBinary(binary, 0, size);
    assert.equal(entries.length, 139);
    assert.equal(decodeImaFields(entries[0]).path, 'boot_aggregate');
    const r = replayImaList(binary, {
      listBank: bank,
      banks: [bank, 'sha1', 'sha256'],
      quoted: quotedPcr10({ [bank]: expected[bank], ...guest }),
    });
    assert.equal(r.templateHashMismatches, 0);
    assert.equal(r.pcrs[bank][10], expected[bank][10]);
    assert.equal(
      r.pcrs[bank][10],
      plainPcr10(
        bank,
        size,
        entries.map((e) => e.templateHash),
      ),
    );
    // the other banks hash the same template data: the guest's real TPM PCR 10 in sha1 and sha256
    assert.equal(r.pcrs.sha1[10], guest.sha1[10].toLowerCase());
    assert.equal(r.pcrs.sha256[10], guest.sha256[10].toLowerCase());
    assert.ok(verifyImaReplay(r).ok);

    const ascii = decodeImaAscii(perBank(`ascii_runtime_measurements_${bank}`));
    assert.deepEqual(
      ascii.map((e) => e.templateHash),
      entries.map((e) => e.templateHash),
    );
    const ra = await replayImaEntries(ascii, { listBank: bank, banks: [bank] });
    assert.equal(ra.templateHashMismatches, 0);
    assert.equal(ra.pcrs[bank][10], expected[bank][10]);
  });
}

test('per-bank sha384 list: a violation (all-zero hash) extends 48 bytes of 0xff; a wrong hash is a mismatch', () => {
  const buf = Buffer.from(perBank('binary_runtime_measurements_sha384'));
  const entries = decodeImaBinary(buf, 0, 48);
  buf.fill(0, entries[3].offset + 4, entries[3].offset + 52);
  buf[entries[5].offset + 10] ^= 1;
  const changed = decodeImaBinary(buf, 0, 48);
  const r = replayImaList(buf, { listBank: 'sha384', banks: ['sha384'] });
  assert.equal(r.violations, 1);
  assert.equal(r.templateHashMismatches, 1);
  assert.deepEqual(r.mismatchedEntries, [{ index: 5, offset: entries[5].offset }]);
  assert.equal(
    r.pcrs.sha384[10],
    plainPcr10(
      'sha384',
      48,
      changed.map((e) => e.templateHash),
    ),
  );
});

test('a per-bank list read as a SHA-1 list fails with a DecodeError, and the ascii hash sizes must agree', () => {
  assert.throws(() => decodeImaBinary(perBank('binary_runtime_measurements_sha256')), /IMA template name/);
  const lines = perBank('ascii_runtime_measurements_sha256').toString('utf8').split('\n');
  const mixed = Buffer.from(
    [lines[0], fixture('vm', 'ovmf', 'ascii_runtime_measurements').toString('utf8').split('\n')[1]].join('\n'),
  );
  assert.throws(() => decodeImaAscii(mixed), /is not 32-byte hex/);
});
