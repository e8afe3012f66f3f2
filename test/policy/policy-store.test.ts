import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Recommendation } from '../../src/tnccs/types';
import { PolicyStore } from '../../src/policy/store';
import { MIGRATIONS, PolicyStoreError } from '../../src/policy/schema';
import { WorkitemType } from '../../src/policy/workitem-types';

const DAY = 86400;
const AIK = 'af61115643f343bb6d36373db32c73a70ddb277b';

/** A store on a controllable clock. */
function memStore(start = 1_700_000_000): { store: PolicyStore; clock: { t: number } } {
  const clock = { t: start };
  return { store: new PolicyStore(':memory:', { now: () => clock.t }), clock };
}

function withTempDb(fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  try {
    fn(join(dir, 'policy.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a fresh database gets every migration, in WAL mode, with the indexed lookup tables', () => {
  withTempDb((path) => {
    const store = new PolicyStore(path);
    assert.equal(store.schemaVersion, MIGRATIONS[MIGRATIONS.length - 1].version);
    store.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const versions = db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all();
    assert.deepEqual(
      versions,
      MIGRATIONS.map((m) => m.version),
    );
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT hash FROM file_hashes WHERE product = 1 AND file = 2 AND algo = 16384')
      .all() as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join(';'), /SEARCH file_hashes USING (COVERING )?INDEX file_hashes_lookup/);
    db.close();
  });
});

test('reopening keeps the data and applies no migration twice', () => {
  withTempDb((path) => {
    const a = new PolicyStore(path);
    a.setTrusted(AIK, true);
    a.close();
    const b = new PolicyStore(path);
    assert.equal(b.findDevice(AIK)?.trusted, true);
    b.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.prepare('SELECT COUNT(*) FROM schema_version').pluck().get(), MIGRATIONS.length);
    assert.equal(db.prepare("SELECT COUNT(*) FROM groups WHERE name = 'Default'").pluck().get(), 1);
    db.close();
  });
});

test('a schema newer than the code is refused with a message saying so', () => {
  withTempDb((path) => {
    new PolicyStore(path).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_version (version, description, applied) VALUES (999, 'future', 0)").run();
    db.close();
    assert.throws(
      () => new PolicyStore(path),
      (e: unknown) => e instanceof PolicyStoreError && /newer than this tnc-agent knows/.test(e.message),
    );
  });
});

test('devices: created once, product follows the latest report, trust is settable', () => {
  const { store } = memStore();
  const a = store.getOrCreateDevice(AIK, 'Debian 12 x86_64');
  const b = store.getOrCreateDevice(AIK);
  assert.equal(b.id, a.id);
  assert.equal(b.product, 'Debian 12 x86_64');
  assert.equal(store.getOrCreateDevice(AIK, 'Debian 13 x86_64').product, 'Debian 13 x86_64');
  assert.equal(a.trusted, false);
  store.setTrusted(AIK, true);
  assert.equal(store.findDevice(AIK)?.trusted, true);
  store.setTrusted(AIK, false);
  assert.equal(store.findDevice(AIK)?.trusted, false);
  assert.equal(store.findDevice('unknown'), undefined);
  assert.deepEqual(
    store.listDevices().map((d) => d.value),
    [AIK],
  );
});

test('workitems: one per enforced policy, with strongSwan type numbers and rec overrides', () => {
  const { store } = memStore();
  store.addEnforcement(WorkitemType.SWIDT, 'R');
  store.addEnforcement(WorkitemType.TPMRA, 'BI', { recFail: Recommendation.ISOLATE });
  const session = store.startSession(1, 'client.example', AIK, 'Debian 12 x86_64');
  const items = store.createWorkitems(session);
  assert.deepEqual(
    items.map((w) => [w.type, w.argStr]),
    [
      [15, 'R'],
      [16, 'BI'],
    ],
  );
  assert.equal(items[1].recFail, Recommendation.ISOLATE);
  assert.equal(items[0].recFail, Recommendation.NO_ACCESS);
  assert.equal(items[0].recNoResult, Recommendation.NO_RECOMMENDATION);
  assert.deepEqual(
    store.listWorkitems(session, WorkitemType.TPMRA).map((w) => w.id),
    [items[1].id],
  );
  assert.equal(items[0].recFinal, null);
});

test('SWIDT with R asks for events after the last stored EID of the newest epoch', () => {
  const { store } = memStore();
  store.addEnforcement(WorkitemType.SWIDT, 'R');
  const first = store.createWorkitems(store.startSession(1, null, AIK));
  assert.equal(first[0].argInt, 1);
  store.recordSwEvent(AIK, 111, 40, '2026-11-27T02:00:00Z');
  store.recordSwEvent(AIK, 222, 7, '2026-11-27T02:10:00Z');
  store.recordSwEvent(AIK, 222, 9, '2026-11-27T02:11:00Z');
  const next = store.createWorkitems(store.startSession(2, null, AIK));
  assert.equal(next[0].argInt, 10);
});

test('max_age: a recent ALLOW result skips the workitem (TPM attestation: reduced to a BIOS-only quote), an old one or a failure does not', () => {
  const { store, clock } = memStore();
  store.addEnforcement(WorkitemType.TPMRA, 'BI', { maxAge: DAY });
  store.addEnforcement(WorkitemType.SWIDT, '', { maxAge: DAY });
  const run = (verdict: Recommendation) => {
    const s = store.startSession(1, null, AIK);
    const items = store.createWorkitems(s);
    for (const w of items) store.setWorkitemResult(w.id, verdict, 'done');
    store.stopSession(s, verdict);
    return items.map((w) => `${WorkitemType[w.type]}:${w.argStr}`);
  };
  assert.deepEqual(run(Recommendation.ALLOW), ['TPMRA:BI', 'SWIDT:']);
  clock.t += DAY - 10;
  // the Device ID alone proves nothing: the AK must still sign a quote, over the firmware log only
  assert.deepEqual(run(Recommendation.NO_ACCESS), ['TPMRA:B'], 'ALLOW 1 day - 10 s ago is recent');
  clock.t += 20;
  assert.deepEqual(run(Recommendation.NO_ACCESS), ['TPMRA:BI', 'SWIDT:'], 'expired');
  assert.deepEqual(run(Recommendation.ALLOW), ['TPMRA:BI', 'SWIDT:'], 'last result was a failure');
  assert.deepEqual(
    store
      .createWorkitems(store.startSession(9, null, 'other-device'))
      .map((w) => `${WorkitemType[w.type]}:${w.argStr}`),
    ['TPMRA:BI', 'SWIDT:'],
    'results of one device do not excuse another',
  );
});

test('groups: product default groups and parents decide which policies apply', () => {
  const { store } = memStore();
  store.addGroup('Servers');
  store.addGroup('Web', 'Servers');
  store.setProductDefaultGroup('Debian 12 x86_64', 'Web');
  store.addEnforcement(WorkitemType.SWIDT, 'R');
  store.addEnforcement(WorkitemType.TPMRA, 'BI', { group: 'Servers' });
  store.addEnforcement(WorkitemType.FWDEN, '', { group: 'Web' });
  const debian = store.createWorkitems(store.startSession(1, null, 'dev-debian', 'Debian 12 x86_64'));
  assert.deepEqual(
    debian.map((w) => w.type).sort((a, b) => a - b),
    [WorkitemType.FWDEN, WorkitemType.TPMRA],
  );
  const ubuntu = store.createWorkitems(store.startSession(2, null, 'dev-ubuntu', 'Ubuntu 24.04 x86_64'));
  assert.deepEqual(
    ubuntu.map((w) => w.type),
    [WorkitemType.SWIDT],
  );
  store.addDeviceToGroup('dev-pinned', 'Servers');
  const pinned = store.createWorkitems(store.startSession(3, null, 'dev-pinned', 'Debian 12 x86_64'));
  assert.deepEqual(
    pinned.map((w) => w.type),
    [WorkitemType.TPMRA],
  );
  assert.throws(() => store.addEnforcement(WorkitemType.PCKGS, '', { group: 'nope' }), PolicyStoreError);
});

test('session lifecycle: start, results, stop archives and deletes workitems, stores the rec', () => {
  const { store } = memStore();
  store.addEnforcement(WorkitemType.SWIDT, 'R');
  store.addEnforcement(WorkitemType.TPMRA, 'BI');
  const s = store.startSession(1, 'carol@strongswan.org', AIK, 'Debian 12 x86_64');
  const [swidt, tpmra] = store.createWorkitems(s);
  store.setWorkitemResult(swidt.id, Recommendation.ALLOW, 'received 26 SW ID events and 0 SWID tags');
  store.setWorkitemResult(tpmra.id, Recommendation.ISOLATE, 'quote failed');
  assert.equal(store.stopSession(s), Recommendation.ISOLATE, 'merged: most severe wins');
  assert.deepEqual(store.listWorkitems(s), []);
  const results = store.listResults(s);
  assert.deepEqual(
    results.map((r) => [r.policy, r.type, r.rec, r.result, r.device]),
    [
      ['SWIDT R', WorkitemType.SWIDT, Recommendation.ALLOW, 'received 26 SW ID events and 0 SWID tags', AIK],
      ['TPMRA BI', WorkitemType.TPMRA, Recommendation.ISOLATE, 'quote failed', AIK],
    ],
  );
  const [info] = store.listSessions();
  assert.deepEqual(
    [info.id, info.connection, info.identity, info.device, info.product, info.rec],
    [s, 1, 'carol@strongswan.org', AIK, 'Debian 12 x86_64', Recommendation.ISOLATE],
  );
});

test("stop: the caller's recommendation wins; pending workitems are not archived but count as no result", () => {
  const { store } = memStore();
  store.addEnforcement(WorkitemType.TPMRA, 'B', { recNoResult: Recommendation.NO_ACCESS });
  const a = store.startSession(1, null, AIK);
  store.createWorkitems(a);
  assert.equal(store.stopSession(a), Recommendation.NO_ACCESS);
  assert.deepEqual(store.listResults(a), []);
  const b = store.startSession(2, null, AIK);
  store.createWorkitems(b);
  assert.equal(store.stopSession(b, Recommendation.ALLOW), Recommendation.ALLOW);
  assert.equal(store.listSessions(1)[0].rec, Recommendation.ALLOW);
});

test('package blocklist: set, cleared, unknown names are not blocklisted', () => {
  const { store } = memStore();
  assert.equal(store.isPackageBlocklisted('telnetd'), false);
  store.setPackageBlocklisted('telnetd', true);
  assert.equal(store.isPackageBlocklisted('telnetd'), true);
  assert.equal(store.isPackageBlocklisted('openssh-server'), false);
  store.setPackageBlocklisted('telnetd', false);
  assert.equal(store.isPackageBlocklisted('telnetd'), false);
});

test('unknown sessions and workitems are errors, not silent no-ops', () => {
  const { store } = memStore();
  assert.throws(() => store.createWorkitems(42), PolicyStoreError);
  assert.throws(() => store.stopSession(42), PolicyStoreError);
  assert.throws(() => store.setWorkitemResult(42, Recommendation.ALLOW, ''), PolicyStoreError);
});
