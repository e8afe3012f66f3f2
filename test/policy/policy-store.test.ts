import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Recommendation } from '../../src/tnccs/types';
import { PolicyStore } from '../../src/policy/store';
import { MIGRATIONS, PolicyStoreError } from '../../src/policy/schema';
import { WorkitemType } from '../../src/policy/workitem-types';
import { ENGINES, SQLITE, type EngineUnderTest } from '../helpers/engines';

const DAY = 86400;
const AIK = 'af61115643f343bb6d36373db32c73a70ddb277b';

test('sqlite: a fresh database gets every migration, in WAL mode, with the indexed lookup tables', async () => {
  const { db: path } = await SQLITE.location();
  const store = await PolicyStore.open(path);
  assert.equal(store.schemaVersion, MIGRATIONS[MIGRATIONS.length - 1].version);
  await store.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const plan = db
    .prepare('EXPLAIN QUERY PLAN SELECT hash FROM file_hashes WHERE product = 1 AND file = 2 AND algo = 16384')
    .all() as { detail: string }[];
  assert.match(plan.map((p) => p.detail).join(';'), /SEARCH file_hashes USING (COVERING )?INDEX file_hashes_lookup/);
  db.close();
});

/** The suite below runs once per engine. */
function suite(e: EngineUnderTest, name: string, fn: (e: EngineUnderTest) => Promise<void>): void {
  test(`${e.name}: ${name}`, { skip: e.skip }, () => fn(e));
}

/** A store on a controllable clock. */
async function clocked(
  e: EngineUnderTest,
  start = 1_700_000_000,
): Promise<{ store: PolicyStore; clock: { t: number } }> {
  const clock = { t: start };
  return { store: await e.open({ now: () => clock.t }), clock };
}

for (const e of ENGINES) {
  suite(e, 'reopening keeps the data and applies no migration twice', async () => {
    const at = await e.location();
    const a = await PolicyStore.open(at.db, { passwordFile: at.passwordFile });
    await a.setTrusted(AIK, true);
    await a.close();
    const b = await PolicyStore.open(at.db, { passwordFile: at.passwordFile });
    assert.equal((await b.findDevice(AIK))?.trusted, true);
    assert.deepEqual(
      (await b.db.all<{ version: number }>('SELECT version FROM schema_version ORDER BY version')).map(
        (r) => r.version,
      ),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal((await b.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM groups WHERE name = 'Default'"))?.n, 1);
    await b.close();
  });

  suite(e, 'a schema newer than the code is refused with a message saying so', async () => {
    const at = await e.location();
    const a = await PolicyStore.open(at.db, { passwordFile: at.passwordFile });
    await a.db.run("INSERT INTO schema_version (version, description, applied) VALUES (999, 'future', 0)");
    await a.close();
    await assert.rejects(
      PolicyStore.open(at.db, { passwordFile: at.passwordFile }),
      (err: unknown) => err instanceof PolicyStoreError && /newer than this tnc-agent knows/.test(err.message),
    );
  });

  suite(e, 'devices: created once, product follows the latest report, trust is settable', async () => {
    const { store } = await clocked(e);
    const a = await store.getOrCreateDevice(AIK, 'Debian 12 x86_64');
    const b = await store.getOrCreateDevice(AIK);
    assert.equal(b.id, a.id);
    assert.equal(b.product, 'Debian 12 x86_64');
    assert.equal((await store.getOrCreateDevice(AIK, 'Debian 13 x86_64')).product, 'Debian 13 x86_64');
    assert.equal(a.trusted, false);
    await store.setTrusted(AIK, true);
    assert.equal((await store.findDevice(AIK))?.trusted, true);
    await store.setTrusted(AIK, false);
    assert.equal((await store.findDevice(AIK))?.trusted, false);
    assert.equal(await store.findDevice('unknown'), undefined);
    assert.deepEqual(
      (await store.listDevices()).map((d) => d.value),
      [AIK],
    );
    await store.close();
  });

  suite(e, 'workitems: one per enforced policy, with strongSwan type numbers and rec overrides', async () => {
    const { store } = await clocked(e);
    await store.addEnforcement(WorkitemType.SWIDT, 'R');
    await store.addEnforcement(WorkitemType.TPMRA, 'BI', { recFail: Recommendation.ISOLATE });
    const session = (await store.startSession(1, 'client.example', AIK, 'Debian 12 x86_64')).id;
    const items = await store.createWorkitems(session);
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
      (await store.listWorkitems(session, WorkitemType.TPMRA)).map((w) => w.id),
      [items[1].id],
    );
    assert.equal(items[0].recFinal, null);
    await store.close();
  });

  suite(e, 'SWIDT with R asks for events after the last stored EID of the newest epoch', async () => {
    const { store } = await clocked(e);
    await store.addEnforcement(WorkitemType.SWIDT, 'R');
    const first = await store.createWorkitems((await store.startSession(1, null, AIK)).id);
    assert.equal(first[0].argInt, 1);
    await store.recordSwEvent(AIK, 111, 40, '2026-11-27T02:00:00Z');
    await store.recordSwEvent(AIK, 222, 7, '2026-11-27T02:10:00Z');
    await store.recordSwEvent(AIK, 222, 9, '2026-11-27T02:11:00Z');
    const next = await store.createWorkitems((await store.startSession(2, null, AIK)).id);
    assert.equal(next[0].argInt, 10);
    await store.close();
  });

  suite(
    e,
    'max_age: a recent ALLOW result skips the workitem (TPM attestation: reduced to a BIOS-only quote), an old one or a failure does not',
    async () => {
      const { store, clock } = await clocked(e);
      await store.addEnforcement(WorkitemType.TPMRA, 'BI', { maxAge: DAY });
      await store.addEnforcement(WorkitemType.SWIDT, '', { maxAge: DAY });
      const run = async (verdict: Recommendation) => {
        const s = (await store.startSession(1, null, AIK)).id;
        const items = await store.createWorkitems(s);
        for (const w of items) await store.setWorkitemResult(w.id, verdict, 'done');
        await store.stopSession(s, verdict);
        return items.map((w) => `${WorkitemType[w.type]}:${w.argStr}`);
      };
      assert.deepEqual(await run(Recommendation.ALLOW), ['TPMRA:BI', 'SWIDT:']);
      clock.t += DAY - 10;
      // the Device ID alone proves nothing: the AK must still sign a quote, over the firmware log only
      assert.deepEqual(await run(Recommendation.NO_ACCESS), ['TPMRA:B'], 'ALLOW 1 day - 10 s ago is recent');
      clock.t += 20;
      assert.deepEqual(await run(Recommendation.NO_ACCESS), ['TPMRA:BI', 'SWIDT:'], 'expired');
      assert.deepEqual(await run(Recommendation.ALLOW), ['TPMRA:BI', 'SWIDT:'], 'last result was a failure');
      const other = await store.createWorkitems((await store.startSession(9, null, 'other-device')).id);
      assert.deepEqual(
        other.map((w) => `${WorkitemType[w.type]}:${w.argStr}`),
        ['TPMRA:BI', 'SWIDT:'],
        'results of one device do not excuse another',
      );
      await store.close();
    },
  );

  suite(e, 'groups: product default groups and parents decide which policies apply', async () => {
    const { store } = await clocked(e);
    await store.addGroup('Servers');
    await store.addGroup('Web', 'Servers');
    await store.setProductDefaultGroup('Debian 12 x86_64', 'Web');
    await store.addEnforcement(WorkitemType.SWIDT, 'R');
    await store.addEnforcement(WorkitemType.TPMRA, 'BI', { group: 'Servers' });
    await store.addEnforcement(WorkitemType.FWDEN, '', { group: 'Web' });
    const items = async (c: number, dev: string, product: string) =>
      store.createWorkitems((await store.startSession(c, null, dev, product)).id);
    const debian = await items(1, 'dev-debian', 'Debian 12 x86_64');
    assert.deepEqual(
      debian.map((w) => w.type).sort((a, b) => a - b),
      [WorkitemType.FWDEN, WorkitemType.TPMRA],
    );
    const ubuntu = await items(2, 'dev-ubuntu', 'Ubuntu 24.04 x86_64');
    assert.deepEqual(
      ubuntu.map((w) => w.type),
      [WorkitemType.SWIDT],
    );
    await store.addDeviceToGroup('dev-pinned', 'Servers');
    const pinned = await items(3, 'dev-pinned', 'Debian 12 x86_64');
    assert.deepEqual(
      pinned.map((w) => w.type),
      [WorkitemType.TPMRA],
    );
    await assert.rejects(store.addEnforcement(WorkitemType.PCKGS, '', { group: 'nope' }), PolicyStoreError);
    await store.close();
  });

  suite(e, 'session lifecycle: start, results, stop archives and deletes workitems, stores the rec', async () => {
    const { store } = await clocked(e);
    await store.addEnforcement(WorkitemType.SWIDT, 'R');
    await store.addEnforcement(WorkitemType.TPMRA, 'BI');
    const s = (await store.startSession(1, 'carol@strongswan.org', AIK, 'Debian 12 x86_64')).id;
    const [swidt, tpmra] = await store.createWorkitems(s);
    await store.setWorkitemResult(swidt.id, Recommendation.ALLOW, 'received 26 SW ID events and 0 SWID tags');
    await store.setWorkitemResult(tpmra.id, Recommendation.ISOLATE, 'quote failed');
    assert.equal(await store.stopSession(s), Recommendation.ISOLATE, 'merged: most severe wins');
    assert.deepEqual(await store.listWorkitems(s), []);
    const results = await store.listResults(s);
    assert.deepEqual(
      results.map((r) => [r.policy, r.type, r.rec, r.result, r.device]),
      [
        ['SWIDT R', WorkitemType.SWIDT, Recommendation.ALLOW, 'received 26 SW ID events and 0 SWID tags', AIK],
        ['TPMRA BI', WorkitemType.TPMRA, Recommendation.ISOLATE, 'quote failed', AIK],
      ],
    );
    const [info] = await store.listSessions();
    assert.deepEqual(
      [info.id, info.connection, info.identity, info.device, info.product, info.rec],
      [s, 1, 'carol@strongswan.org', AIK, 'Debian 12 x86_64', Recommendation.ISOLATE],
    );
    await store.close();
  });

  suite(
    e,
    "stop: the caller's recommendation wins; pending workitems are not archived but count as no result",
    async () => {
      const { store } = await clocked(e);
      await store.addEnforcement(WorkitemType.TPMRA, 'B', { recNoResult: Recommendation.NO_ACCESS });
      const a = (await store.startSession(1, null, AIK)).id;
      await store.createWorkitems(a);
      assert.equal(await store.stopSession(a), Recommendation.NO_ACCESS);
      assert.deepEqual(await store.listResults(a), []);
      const b = (await store.startSession(2, null, AIK)).id;
      await store.createWorkitems(b);
      assert.equal(await store.stopSession(b, Recommendation.ALLOW), Recommendation.ALLOW);
      assert.equal((await store.listSessions(1))[0].rec, Recommendation.ALLOW);
      await store.close();
    },
  );

  suite(e, 'package blocklist: set, cleared, unknown names are not blocklisted', async () => {
    const { store } = await clocked(e);
    assert.equal(await store.isPackageBlocklisted('telnetd'), false);
    await store.setPackageBlocklisted('telnetd', true);
    assert.equal(await store.isPackageBlocklisted('telnetd'), true);
    assert.equal(await store.isPackageBlocklisted('openssh-server'), false);
    await store.setPackageBlocklisted('telnetd', false);
    assert.equal(await store.isPackageBlocklisted('telnetd'), false);
    await store.close();
  });

  suite(e, 'unknown sessions and workitems are errors, not silent no-ops', async () => {
    const { store } = await clocked(e);
    await assert.rejects(store.createWorkitems(42), PolicyStoreError);
    await assert.rejects(store.stopSession(42), PolicyStoreError);
    await assert.rejects(store.setWorkitemResult(42, Recommendation.ALLOW, ''), PolicyStoreError);
    await store.close();
  });
}
