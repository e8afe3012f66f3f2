import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, Scheduler } from '../../src/daemon/scheduler';

const timing = { intervalMs: 0, retryMinMs: 1000, retryMaxMs: 8000 };

test('backoff doubles from retry-min up to retry-max; jitter takes off at most half', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 60].map((n) => backoffDelay(n, timing, () => 1)),
    [1000, 2000, 4000, 8000, 8000, 8000],
  );
  assert.equal(
    backoffDelay(3, timing, () => 0),
    2000,
  );
  assert.equal(
    backoffDelay(2, timing, () => 0.5),
    1500,
  );
});

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

test('requests during a run are merged into one more run; failures plan retries with growing delay', async () => {
  const reasons: string[] = [];
  const plans: { delayMs: number; kind: string; failures: number }[] = [];
  const first = gate();
  const s = new Scheduler(
    async (r) => {
      reasons.push(r);
      if (reasons.length === 1) await first.p;
      return false;
    },
    () => ({ ...timing, retryMinMs: 60_000, retryMaxMs: 600_000 }),
    (p) => plans.push(p),
    () => 1,
  );
  const a = s.trigger('start');
  const b = s.trigger('request 1');
  const c = s.trigger('request 2');
  assert.equal(b, c, 'both requests wait for the same next run');
  first.open();
  await Promise.all([a, b, c]);
  assert.deepEqual(reasons, ['start', 'request 1']);
  assert.deepEqual(plans, [
    { delayMs: 60_000, kind: 'retry', failures: 1 },
    { delayMs: 120_000, kind: 'retry', failures: 2 },
  ]);
  assert.ok(s.nextRun && s.nextRun.getTime() > Date.now());
  await s.stop();
  assert.equal(s.nextRun, undefined);
  await s.trigger('after stop');
  assert.equal(reasons.length, 2, 'a stopped scheduler runs nothing');
});

test('a success resets the failure count and plans the interval; a throwing job counts as a failure', async () => {
  const results = [Promise.reject(new Error('boom')), Promise.resolve(true)];
  const plans: { kind: string; failures: number }[] = [];
  const s = new Scheduler(
    () => results.shift()!,
    () => ({ ...timing, intervalMs: 3_600_000 }),
    (p) => plans.push(p),
    () => 1,
  );
  await s.trigger('one');
  assert.equal(s.consecutiveFailures, 1);
  await s.trigger('two');
  assert.equal(s.consecutiveFailures, 0);
  assert.deepEqual(
    plans.map((p) => `${p.kind}/${p.failures}`),
    ['retry/1', 'interval/0'],
  );
  await s.stop();
});
