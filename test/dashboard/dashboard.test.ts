import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '../../src/log';
import { dashboardApp, isLoopbackHost } from '../../src/dashboard/app';
import { startDashboard } from '../../src/dashboard/serve';
import { packageChanges, packageOf } from '../../src/dashboard/format';
import { chart } from '../../src/dashboard/layout';
import { AttestationStore, AttestationView, MAX_IMA_FILE_ROWS } from '../../src/policy/attestation';
import { PolicyStore } from '../../src/policy/store';
import { bootStatusInText, differingInText, imaCountsInText, PolicyViews } from '../../src/policy/views';
import { SwimaPolicy } from '../../src/policy/swima';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Evaluation, Recommendation } from '../../src/tnccs/types';

// The dashboard's routes over a policy database the store filled as the server would, requested
// in-process (Hono's app.request); the browser test (test/e2e/dashboard.test.ts) drives the real thing.
const dir = mkdtempSync(join(tmpdir(), 'tnc-dash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const HOSTILE = '<img src=x onerror=alert(1)>';
const AK = 'af61115643f343bb6d36373db32c73a70ddb277b';
const LOCAL = { headers: { host: '127.0.0.1:8271' } };

/** Two handshakes of one device: allowed, then isolated with a file that differs (recorded per file). */
async function filledDb(name: string): Promise<string> {
  const path = join(dir, `${name}.db`);
  const store = await PolicyStore.open(path);
  const att = new AttestationStore(store);
  await store.addEnforcement(WorkitemType.TPMRA, 'BI', { recFail: Recommendation.ISOLATE });
  await att.importFileHashes('Debian 12 x86_64', [{ path: '/usr/bin/ls', algo: 0x4000, hash: Buffer.alloc(32, 0xab) }]);
  const run = async (
    connection: number,
    rec: Recommendation,
    text: string,
    startedMs: number,
    files: () => Promise<void> = async () => {},
  ) => {
    await store.beginHandshake({ connection, transport: 'pt-tls', identity: `${HOSTILE}.lab`, startedMs });
    const session = (await store.startSession(connection, null, AK, 'Debian 12 x86_64')).id;
    const [w] = await store.createWorkitems(session);
    await files();
    await store.setWorkitemResult(w.id, rec, text);
    await store.stopSession(session);
    await store.endHandshake(connection, {
      endedMs: startedMs + 1500,
      rec,
      evaluation: rec === Recommendation.ALLOW ? Evaluation.COMPLIANT : Evaluation.NONCOMPLIANT_MINOR,
      reasons: rec === Recommendation.ALLOW ? [] : [text],
      imvs: [{ imvId: 1, imv: 'Attestation', rec, evaluation: Evaluation.COMPLIANT }],
    });
  };
  await run(
    1,
    Recommendation.ALLOW,
    'processed 10 IMA file evidence measurements: 10 ok, 0 unknown, 0 differ, 0 failed; 13 BIOS evidence measurements are ok',
    1_700_000_000_000,
  );
  const device = (await store.findDevice(AK))!.id;
  await run(
    2,
    Recommendation.ISOLATE,
    '1 IMA file measurements differ from the reference hashes: /usr/bin/ls; processed 10 IMA file evidence measurements: 9 ok, 0 unknown, 1 differ, 0 failed; 13 BIOS evidence measurements are ok',
    1_700_000_060_000,
    () =>
      att.recordImaFiles(device, [
        { path: '/usr/bin/ls', verdict: 'differ', algorithm: 'sha256', measurement: Buffer.alloc(32, 0xcd) },
        { path: '/usr/bin/true', verdict: 'ok', algorithm: 'sha256', measurement: Buffer.alloc(32, 1) },
      ]),
  );
  await SwimaPolicy.of(store).replaceInventory(AK, { epoch: 7, lastEid: 3 }, [
    { swId: 'strongswan.org__Debian_12-x86_64-bash-5.2.15-2', source: 0 },
  ]);
  await SwimaPolicy.of(store).applyEvents(AK, { epoch: 7, lastEid: 4 }, [
    {
      eid: 4,
      timestamp: '2023-11-14T22:13:20Z',
      action: 1,
      swId: `strongswan.org__Debian_12-x86_64-${HOSTILE}-1.0`,
      source: 0,
    },
  ]);
  await store.close();
  return path;
}

let views: PolicyViews;
let app: ReturnType<typeof dashboardApp>;
before(async () => {
  views = PolicyViews.openReadOnly(await filledDb('lab'));
  app = dashboardApp(views, { pollMs: 10 });
});
after(() => views.close());
const get = async (url: string, init = LOCAL) => {
  const r = await app.request(url, init);
  return { status: r.status, body: await r.text(), headers: r.headers };
};

test('handshakes carry device, transport, duration, per-IMV verdicts; filters by device and verdict', () => {
  const all = views.handshakes();
  assert.deepEqual(
    all.map((h) => [h.rec, h.durationMs, h.transport, h.device]),
    [
      [Recommendation.ISOLATE, 1500, 'pt-tls', AK],
      [Recommendation.ALLOW, 1500, 'pt-tls', AK],
    ],
  );
  assert.deepEqual(all[1].imvs, [
    { imv: 'Attestation', rec: Recommendation.ALLOW, evaluation: Evaluation.COMPLIANT, reason: null },
  ]);
  assert.deepEqual(
    views.handshakes({ verdict: 'isolate' }).map((h) => h.id),
    [all[0].id],
  );
  assert.deepEqual(views.handshakes({ verdict: 'none' }), []);
  assert.deepEqual(views.handshakes({ deviceId: all[0].deviceId! + 1 }), []);
});

test('IMA file results: recorded ones with both hashes; ok ones are not kept; text fallback names the files', () => {
  const last = views.lastAttestation(views.devices()[0].id)!;
  assert.deepEqual(views.imaFiles(last.session, last.result), [
    {
      path: '/usr/bin/ls',
      verdict: 'differ',
      algorithm: 'sha256',
      measurement: 'cd'.repeat(32),
      references: ['ab'.repeat(32)],
    },
  ]);
  assert.deepEqual(
    views.imaFiles(
      last.session - 1,
      'x: 2 IMA file measurements differ from the reference hashes: /a b, /c; processed',
    ),
    [
      { path: '/a b', verdict: 'differ', algorithm: null, measurement: null, references: [] },
      { path: '/c', verdict: 'differ', algorithm: null, measurement: null, references: [] },
    ],
  );
  assert.deepEqual(differingInText('nothing'), []);
  assert.deepEqual(imaCountsInText(last.result), { ok: 9, unknown: 0, differ: 1, failed: 0 });
  assert.deepEqual(bootStatusInText(last.result), { bios: 'ok', bootAggregate: 'ok' });
  assert.deepEqual(
    bootStatusInText(
      'boot aggregate computed over PCR0..PCR9 does not match the boot_aggregate measurement; registered 3 BIOS evidence measurements',
    ),
    { bios: 'registered', bootAggregate: 'differs' },
  );
});

test('every page escapes what endpoints sent: identities and package names appear as text', async () => {
  const id = views.devices()[0].id;
  for (const url of ['/sessions', '/sessions/live', `/devices/${id}`, '/devices', '/policy']) {
    const r = await get(url);
    assert.equal(r.status, 200, url);
    assert.ok(!r.body.includes('<img'), `${url} carries a raw <img`);
  }
  const device = await get(`/devices/${id}`);
  assert.ok(device.body.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.match((await get('/sessions')).headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const differ = await get(`/devices/${id}/ima?verdict=differ`);
  assert.ok(
    differ.body.includes('/usr/bin/ls') &&
      differ.body.includes('cd'.repeat(32)) &&
      differ.body.includes('ab'.repeat(32)),
  );
});

test('file results are written in one go after the message, at most MAX_IMA_FILE_ROWS per session', async () => {
  const store = await PolicyStore.open(':memory:');
  const view = new AttestationView(new AttestationStore(store));
  await store.startSession(1, null, AK, 'Debian 12 x86_64');
  const device = (await store.findDevice(AK))!.id;
  for (let i = 0; i < MAX_IMA_FILE_ROWS + 5; i++)
    view.recordImaFile(device, { path: `/f${i}`, verdict: 'unknown', measurement: Buffer.alloc(20) });
  const count = async () => (await store.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM ima_results'))!.n;
  assert.equal(await count(), 0, 'nothing written while the message is processed');
  await view.flush();
  assert.equal(await count(), MAX_IMA_FILE_ROWS);
  await store.close();
});

test('chart data cannot close its script element', () => {
  const html = String(
    chart('x', 't', { type: 'bar', data: { labels: ['</script><img src=x>'], datasets: [] }, options: {} }),
  );
  assert.ok(!html.includes('</script><img'));
  assert.ok(html.includes('\\u003c/script\\u003e'));
});

test('bad parameters get 400, unknown devices 404', async () => {
  assert.equal((await get('/sessions?verdict=maybe')).status, 400);
  assert.equal((await get('/devices/abc')).status, 400);
  assert.equal((await get('/devices/999')).status, 404);
  assert.equal((await get('/devices/1/ima?verdict=<x>')).status, 400);
});

test('without a token only loopback Host names are served (DNS rebinding)', async () => {
  assert.equal((await get('/sessions', { headers: { host: 'attacker.example:8271' } })).status, 403);
  assert.equal((await get('/sessions', { headers: { host: '[::1]:8271' } })).status, 200);
  assert.equal((await get('/sessions', { headers: { host: 'localhost' } })).status, 200);
  assert.ok(isLoopbackHost('127.0.0.2:1') && !isLoopbackHost('127.0.0.1.example') && !isLoopbackHost('10.0.0.1'));
});

test('with a token: 401 without it, a login form sets a cookie, a bearer header works', async () => {
  const token = 'correct-horse-battery-staple';
  const t = dashboardApp(views, { token });
  const remote = { host: 'lab.example' };
  assert.equal((await t.request('/sessions', { headers: remote })).status, 401);
  assert.equal(
    (await t.request('/sessions', { headers: { ...remote, authorization: 'Bearer wrong-token-wrong-token' } })).status,
    401,
  );
  assert.equal(
    (await t.request('/sessions', { headers: { ...remote, authorization: `Bearer ${token}` } })).status,
    200,
  );
  const bad = await t.request('/login', {
    method: 'POST',
    headers: { ...remote, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'token=nope',
  });
  assert.equal(bad.status, 401);
  const login = await t.request('/login', {
    method: 'POST',
    headers: { ...remote, 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${token}`,
  });
  assert.equal(login.status, 303);
  const cookie = login.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Strict/i);
  assert.equal((await t.request('/sessions', { headers: { ...remote, cookie: cookie.split(';')[0] } })).status, 200);
});

test('an address other than loopback is refused without a token', async () => {
  await assert.rejects(
    startDashboard({ host: '0.0.0.0', port: 0, views, log: silentLogger }),
    /not a loopback address.*--http-token-file/,
  );
});

test('the live stream says "change" when a handshake is recorded', async () => {
  const live = await filledDb('live');
  const v = PolicyViews.openReadOnly(live);
  const d = await startDashboard({ host: '127.0.0.1', port: 0, views: v, log: silentLogger, pollMs: 20 });
  try {
    const res = await fetch(`${d.url}events`);
    const reader = res.body!.getReader();
    const read = async () => new TextDecoder().decode((await reader.read()).value);
    assert.match(await read(), /event: hello/);
    const store = await PolicyStore.open(live);
    await store.beginHandshake({ connection: 9, transport: 'pt-tls', startedMs: Date.now() });
    await store.close();
    let got = '';
    while (!got.includes('event: change')) got += await read();
    await reader.cancel();
  } finally {
    await d.close();
    v.close();
  }
});

test('an older database is refused with the way to migrate it', () => {
  const old = join(dir, 'old.db');
  const db = new Database(old);
  db.exec(
    "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied INTEGER NOT NULL); INSERT INTO schema_version VALUES (2, 'x', 0)",
  );
  db.close();
  assert.throws(
    () => PolicyViews.openReadOnly(old),
    /schema version 2 is older than the dashboard reads \(3\).*migrate/,
  );
});

test('SWIMA identifiers split into package and version', () => {
  assert.deepEqual(packageOf('strongswan.org__Debian_12-x86_64-libsqlite3-0-3.40.1-2'), {
    name: 'libsqlite3-0',
    version: '3.40.1-2',
  });
  assert.deepEqual(packageOf('strongswan.org__Debian_12-x86_64-bash-5.2.15-2'), { name: 'bash', version: '5.2.15-2' });
  assert.deepEqual(packageOf('opaque'), { name: 'opaque', version: '' });
});

test('a removal and an installation of one package at the same time show as an update', () => {
  const id = (v: string) => `strongswan.org__Debian_12-x86_64-bash-${v}`;
  const t = '2024-01-01T00:00:00Z';
  assert.deepEqual(
    packageChanges([
      { eid: 5, timestamp: t, action: 2, swId: id('5.2.15-2') },
      { eid: 6, timestamp: t, action: 1, swId: id('5.2.15-3') },
      { eid: 7, timestamp: t, action: 1, swId: 'strongswan.org__Debian_12-x86_64-zsh-5.9-4' },
      { eid: 8, timestamp: '2024-01-02T00:00:00Z', action: 2, swId: 'strongswan.org__Debian_12-x86_64-zsh-5.9-4' },
    ]),
    [
      { eid: 6, timestamp: t, action: 'updated', name: 'bash', version: '5.2.15-2 → 5.2.15-3' },
      { eid: 7, timestamp: t, action: 'installed', name: 'zsh', version: '5.9-4' },
      { eid: 8, timestamp: '2024-01-02T00:00:00Z', action: 'removed', name: 'zsh', version: '5.9-4' },
    ],
  );
});
