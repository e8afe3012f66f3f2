import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../../src/daemon/scheduler';
import { settler } from '../../src/daemon/watch';
import { checkStateDir } from '../../src/daemon/state-dir';
import { ConfigError } from '../../src/daemon/config';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const THIRTY_DAYS = 30 * 86_400_000;

test('an interval beyond 24.8 days (Node timer limit) is planned, not fired at once', async () => {
  let runs = 0;
  const s = new Scheduler(
    async () => (++runs, true),
    () => ({ intervalMs: THIRTY_DAYS, retryMinMs: THIRTY_DAYS, retryMaxMs: THIRTY_DAYS }),
    () => undefined,
  );
  await s.trigger('start');
  await sleep(100);
  assert.equal(runs, 1, 'only the start run');
  assert.ok(s.nextRun!.getTime() - Date.now() > THIRTY_DAYS - 60_000);
  await s.stop();
});

test('a retry-min beyond 24.8 days does not turn failures into a connection storm', async () => {
  let runs = 0;
  const s = new Scheduler(
    async () => (++runs, false),
    () => ({ intervalMs: 0, retryMinMs: THIRTY_DAYS, retryMaxMs: THIRTY_DAYS }),
    () => undefined,
    () => 0.99,
  );
  await s.trigger('start');
  await sleep(100);
  assert.equal(runs, 1);
  await s.stop();
});

test('a settle time beyond 24.8 days does not fire at once', async () => {
  let fired = 0;
  const st = settler(THIRTY_DAYS, () => fired++);
  st.poke();
  await sleep(50);
  st.cancel();
  assert.equal(fired, 0);
});

test('[state] dir that cannot be created or written fails at start, naming the option', async () => {
  // /proc/1/x: Node's recursive mkdir never returns there; the check must end, with the key
  await assert.rejects(
    checkStateDir('/proc/1/x'),
    (e: Error) =>
      e instanceof ConfigError &&
      /^\[state\] dir: \/proc\/1\/x is not a directory the daemon can write: mkdir \/proc\/1\/x: ENOENT/.test(
        e.message,
      ),
  );
  const dir = mkdtempSync(join(tmpdir(), 'state-'));
  try {
    await checkStateDir(join(dir, 'a', 'b'));
    assert.ok(statSync(join(dir, 'a', 'b')).isDirectory());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the IMA watch reports growth of the list once per poll, not its first reading', async () => {
  const { appendFileSync, writeFileSync } = await import('node:fs');
  const { watchImaGrowth } = await import('../../src/daemon/ima-watch');
  const dir = mkdtempSync(join(tmpdir(), 'ima-'));
  const list = join(dir, 'binary_runtime_measurements');
  writeFileSync(list, Buffer.alloc(100));
  let grew = 0;
  const w = watchImaGrowth(list, 30, () => grew++);
  try {
    await sleep(120);
    assert.equal(grew, 0);
    appendFileSync(list, Buffer.alloc(50));
    for (let i = 0; i < 100 && grew === 0; i++) await sleep(20);
    assert.equal(grew, 1);
    writeFileSync(join(dir, 'runtime_measurements_count'), '7\n'); // the kernel's count wins over the size
    await sleep(120);
    const before = grew;
    writeFileSync(join(dir, 'runtime_measurements_count'), '9\n');
    for (let i = 0; i < 100 && grew === before; i++) await sleep(20);
    assert.equal(grew, before + 1);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
