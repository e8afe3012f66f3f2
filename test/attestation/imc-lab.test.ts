import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertSoftwareTpm, extendLabEvidence, LabEvidenceRefused } from '../../src/lab';
import { silentLogger } from '../../src/log';
import { decodeEventLog, replayEventLog } from '../../src/measurements/eventlog';
import { parsePcrRead } from '../../src/measurements/pcrs';
import { readFileSync } from 'node:fs';
import { ALG } from '../../src/tpm/constants';
import { Tpm } from '../../src/tpm/tpm';
import { startSwtpm } from '../helpers/swtpm';

const FIXTURES = join(__dirname, '..', 'data', 'fixtures', 'vm');

test('lab evidence mode refuses a hardware TPM', () => {
  assert.throws(() => assertSoftwareTpm('device:/dev/tpmrm0'), LabEvidenceRefused);
  assert.throws(() => assertSoftwareTpm('tabrmd'), LabEvidenceRefused);
  assertSoftwareTpm('swtpm:host=127.0.0.1,port=2321');
  assertSoftwareTpm('mssim');
});

for (const fw of ['seabios', 'ovmf']) {
  test(`lab evidence from a real ${fw} boot reproduces the guest's PCRs 0-9 and the whole IMA list in PCR 10`, async () => {
    const sw = await startSwtpm();
    const tpm = await Tpm.open(sw.tcti);
    try {
      const dir = join(FIXTURES, fw);
      const s = await extendLabEvidence(tpm, sw.tcti, dir, silentLogger);
      assert.equal(s.locality, 0);
      // the guest's own tpm2_pcrread: PCRs 0-9 as booted, PCR 10 after the lists were copied
      const guest = parsePcrRead(readFileSync(join(dir, 'pcrs.txt'), 'utf8'));
      const after = parsePcrRead(readFileSync(join(dir, 'pcr10-after-copy.txt'), 'utf8'));
      for (const [bank, alg] of [
        ['sha1', ALG.SHA1],
        ['sha256', ALG.SHA256],
      ] as const) {
        const got = await tpm.pcrRead(alg, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        for (let p = 0; p <= 9; p++)
          assert.equal(got.get(p)!.toString('hex'), guest[bank][p], `${fw} ${bank} PCR ${p}`);
        assert.equal(got.get(10)!.toString('hex'), after[bank][10], `${fw} ${bank} PCR 10`);
      }
      // a second run on the same TPM would extend twice: refused
      await assert.rejects(extendLabEvidence(tpm, sw.tcti, dir, silentLogger), LabEvidenceRefused);
    } finally {
      await tpm.close();
      await sw.stop();
    }
  });
}

test('a log that starts the TPM at locality 3 restarts swtpm at locality 3', async () => {
  const sw = await startSwtpm();
  const tpm = await Tpm.open(sw.tcti);
  try {
    const dir = join(__dirname, '..', 'data', 'vectors', 'evidence');
    const s = await extendLabEvidence(tpm, sw.tcti, dir, silentLogger);
    assert.equal(s.locality, 3);
    const want = replayEventLog(decodeEventLog(readFileSync(join(dir, 'binary_bios_measurements')))).pcrs.sha256[0];
    assert.equal((await tpm.pcrRead(ALG.SHA256, [0])).get(0)!.toString('hex'), want);
  } finally {
    await tpm.close();
    await sw.stop();
  }
});
