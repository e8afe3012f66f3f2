import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { Tpm } from '../../src/tpm/tpm';
import { ALG } from '../../src/tpm/constants';
import { serialized } from '../../src/tpm/addon';

let sw: Swtpm;
let tpm: Tpm;

before(async () => {
  sw = await startSwtpm();
  tpm = await Tpm.open(sw.tcti);
});
after(async () => {
  await tpm?.close();
  await sw?.stop();
});

test('calls on one context run one at a time, in order, and a failure does not stop the queue', async () => {
  let inFlight = 0;
  let most = 0;
  const order: number[] = [];
  const ctx = serialized({
    async job(n: number): Promise<number> {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      order.push(n);
      if (n === 3) throw new Error('TPM_RC_FAILURE');
      return n;
    },
  });
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => ctx.job(n)));
  assert.equal(most, 1);
  assert.deepEqual(order, [1, 2, 3, 4, 5]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  );
});

test('many queued TPM jobs do not hold the libuv pool: an fs read finishes long before the queue does', async () => {
  const done: string[] = [];
  const jobs = Array.from({ length: 24 }, (_, i) =>
    tpm.pcrRead(ALG.SHA256, [i % 24]).then(() => void done.push(`tpm ${i}`)),
  );
  const file = readFile(__filename).then(() => void done.push('fs'));
  await Promise.all([...jobs, file]);
  // a pool thread per queued job (the old mutex in the worker) puts the fs read behind ~21 of them
  assert.ok(done.indexOf('fs') < 12, done.join(', '));
});
