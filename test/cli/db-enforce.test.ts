import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyStore } from '../../src/policy/store';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Recommendation } from '../../src/tnccs/types';

// `tnc-agent db enforce` as a real process on a real SQLite file; the policy manager reads what it wrote.
const bin = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');
const dir = mkdtempSync(join(tmpdir(), 'tnc-enforce-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function enforce(dbFile: string, ...args: string[]) {
  return spawnSync(process.execPath, [bin, 'db', 'enforce', ...args, '--db', dbFile], { encoding: 'utf8' });
}

/** The workitems a new session of a device in group `group` (or Default) gets. */
async function workitemsOf(dbFile: string, device: string, group?: string) {
  const store = await PolicyStore.open(dbFile);
  try {
    if (group) await store.addDeviceToGroup(device, group);
    return await store.createWorkitems((await store.startSession(1, 'client', device, 'Debian 12 x86_64')).id);
  } finally {
    await store.close();
  }
}

test('enforce TPMRA BI with --rec-fail isolate: a new session gets that workitem', async () => {
  const file = join(dir, 'tpmra.db');
  const r = enforce(file, 'TPMRA', 'BI', '--rec-fail', 'isolate');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "enforcement 1: TPMRA 'BI' on group 'Default'");
  const items = await workitemsOf(file, 'ab01');
  assert.deepEqual(
    items.map((w) => [w.type, w.argStr, w.recFail, w.recNoResult]),
    [[WorkitemType.TPMRA, 'BI', Recommendation.ISOLATE, Recommendation.NO_RECOMMENDATION]],
  );
});

test("enforce without --rec-fail isolates on failure, as strongSwan's policies do; --rec-fail no-access still applies", async () => {
  const file = join(dir, 'default-fail.db');
  assert.equal(enforce(file, 'FWDEN').status, 0);
  assert.equal(enforce(file, 'PWDEN', '--rec-fail', 'no-access').status, 0);
  assert.deepEqual(
    (await workitemsOf(file, 'ef03')).map((w) => [w.type, w.recFail]),
    [
      [WorkitemType.FWDEN, Recommendation.ISOLATE],
      [WorkitemType.PWDEN, Recommendation.NO_ACCESS],
    ],
  );
  const help = spawnSync(process.execPath, [bin, 'db', 'enforce', '--help'], { encoding: 'utf8' }).stdout;
  assert.match(help.replace(/\s+/g, ' '), /--rec-fail <rec> .*\(default isolate/);
});

test("enforce on a group: only that group's devices get the workitem; the same policy twice is refused", async () => {
  const file = join(dir, 'group.db');
  const store = await PolicyStore.open(file);
  await store.addGroup('Lab');
  await store.close();
  assert.equal(enforce(file, 'swidt', '--group', 'Lab', '--rec-noresult', 'no-access', '--max-age', '60').status, 0);
  assert.deepEqual(
    (await workitemsOf(file, 'in-lab', 'Lab')).map((w) => [w.type, w.recNoResult]),
    [[WorkitemType.SWIDT, Recommendation.NO_ACCESS]],
  );
  assert.deepEqual(await workitemsOf(file, 'elsewhere'), []);
  const again = enforce(file, 'SWIDT', '--group', 'Lab');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /SWIDT is already enforced on group 'Lab'/);
});

test('enforce refuses unknown or file-bound types, bad recommendations and unknown groups', async () => {
  const file = join(dir, 'bad.db');
  for (const [args, message] of [
    [['NOPE'], /invalid for argument 'type'\. one of .*TPMRA/],
    [['FREFM', '/etc/passwd'], /invalid for argument 'type'/],
    [['TPMRA', 'B', '--rec-fail', 'maybe'], /one of allow, no-access, isolate, no-recommendation/],
    [['TPMRA', 'B', '--max-age', '-1'], /seconds, 0 or more/],
    [['TPMRA', 'B', '--group', 'nobody'], /no group 'nobody'/],
  ] as const) {
    const r = enforce(file, ...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message);
  }
  assert.deepEqual(await workitemsOf(file, 'cd02'), [], 'nothing was enforced');
});
