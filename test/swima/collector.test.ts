import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwIdInventoryAttr } from '../../src/protocol/pa-tnc/swima';
import { parseDpkgStatus } from '../../src/imcs/os/dpkg-status';
import { SwCollector } from '../../src/imcs/swima/collector';
import { parseAptHistory, parseDpkgLog } from '../../src/imcs/swima/history';
import { SwimaStore } from '../../src/imcs/swima/store';
import { softwareId, swidTag } from '../../src/imcs/swima/sw-id';
import { vectorAttributes } from '../protocol/pts-swima-util';
import { addPackage, DEBIAN_12, dpkgTree, FIXTURES, removePackage, setVersion } from './fixture';

const dir = mkdtempSync(join(tmpdir(), 'tnc-swima-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DEBIAN = { regid: 'debian.org', name: 'Debian Project' };

test("software IDs are formed as strongSwan forms them: the capture's IDs, with + and : made ~ (sw-collector)", () => {
  const inv = vectorAttributes('03-client_to_server-CDATA.bin').find((a) => SwIdInventoryAttr.is(a))!.value as {
    records: { softwareId: string; sourceId: number }[];
  };
  const fromDpkg = inv.records.filter((r) => r.sourceId === 1).map((r) => r.softwareId);
  assert.equal(fromDpkg.length, 6);
  // every one names a package of the same machine's dpkg status, formed from its name and version
  const ours = new Set(
    parseDpkgStatus(readFileSync(join(FIXTURES, 'status'), 'utf8')).packages.map((p) =>
      softwareId(DEBIAN, DEBIAN_12, p.name, p.version),
    ),
  );
  for (const id of fromDpkg) assert.ok(ours.has(id.replace(/\+/g, '~')), id);
  assert.equal(
    softwareId(DEBIAN, DEBIAN_12, 'libcap2:amd64', '1:2.66-4+deb12u2'),
    'debian.org__Debian_12-x86_64-libcap2-1~2.66-4~deb12u2',
  );
});

test("SWID tags have the capture's shape and escape XML", () => {
  const tag = swidTag(DEBIAN, DEBIAN_12, 'bash', '5.2.15-2+b8');
  assert.match(
    tag,
    /^<\?xml version="1.0" encoding="utf-8"\?>\n<SoftwareIdentity name="bash" tagId="Debian_12-x86_64-bash-5.2.15-2~b8" version="5.2.15-2\+b8"/,
  );
  assert.match(
    tag,
    /<Entity name="Debian Project" regid="debian.org" role="tagCreator"\/><Meta product="Debian 12 x86_64"\/><\/SoftwareIdentity>$/,
  );
  assert.match(
    swidTag({ regid: 'a"b', name: '<&>' }, DEBIAN_12, 'p', '1'),
    /regid="a&quot;b".*name="&lt;&amp;&gt;"|name="&lt;&amp;&gt;" regid="a&quot;b"/,
  );
});

test('dpkg.log and apt history parse into installs and upgrades with their times', () => {
  const dpkg = parseDpkgLog(readFileSync(join(FIXTURES, 'dpkg.log'), 'utf8'));
  assert.equal(dpkg.length, 693 + 63);
  const up = dpkg.find((c) => c.package === 'libsystemd0')!;
  assert.deepEqual(
    { ...up, time: new Date(up.time).getMinutes() },
    { package: 'libsystemd0', oldVersion: '252.36-1~deb12u1', newVersion: '252.38-1~deb12u1', time: 36 },
  );
  const apt = parseAptHistory(readFileSync(join(FIXTURES, 'apt-history.log'), 'utf8'));
  assert.ok(apt.some((c) => c.package === 'curl' && c.newVersion === '7.88.1-10+deb12u12' && c.oldVersion === ''));
  assert.deepEqual(
    parseAptHistory('Start-Date: 2025-01-02  03:04:05\nRemove: foo:amd64 (1.0)\nPurge: bar:all (2.0)\n').map((c) => [
      c.package,
      c.oldVersion,
      c.newVersion,
    ]),
    [
      ['foo', '1.0', ''],
      ['bar', '2.0', ''],
    ],
  );
  assert.deepEqual(
    parseDpkgLog('2025-01-02 03:04:05 remove foo:amd64 1.0 <none>\ngarbage\n').map((c) => [
      c.package,
      c.oldVersion,
      c.newVersion,
    ]),
    [['foo', '1.0', '']],
  );
});

test('first run imports the history with real times; later passes record creation, deletion, alteration', async () => {
  const root = dpkgTree(join(dir, 'steps'), true);
  const store = new SwimaStore(join(dir, 'steps.db'));
  let clock = Date.UTC(2030, 0, 1);
  const c = new SwCollector({ root, store, os: DEBIAN_12, now: () => clock });
  const n = await c.collect();
  assert.equal(store.inventory().length, 781);
  // events: creations for what predates the log, then 693 installs and 63 upgrades (deletion + creation each)
  assert.ok(n >= 693 + 2 * 63, `${n} events`);
  const events = store.eventsSince(1);
  assert.deepEqual(
    events.map((e) => e.eid),
    events.map((_, i) => i + 1),
  );
  const sysd = events.filter((e) => e.identifier.package === 'libsystemd0');
  assert.deepEqual(
    sysd.slice(0, 3).map((e) => [e.action, e.identifier.version]),
    [
      [1, '252.36-1~deb12u1'],
      [2, '252.36-1~deb12u1'],
      [1, '252.38-1~deb12u1'],
    ],
  );
  assert.match(sysd[2].timestamp, /^2025-06-2[45]T\d\d:36:25Z$/);
  assert.equal(await c.collect(), 0, 'nothing changed, nothing recorded');

  const before = store.lastEid();
  clock += 1000;
  setVersion(root, 'bash', '5.2.15-3');
  removePackage(root, 'less');
  addPackage(root, 'telnet', '0.17+2.4-2');
  assert.equal(await c.collect(), 4);
  const step = store.eventsSince(before + 1).map((e) => [e.eid, e.action, e.identifier.swId, e.timestamp]);
  assert.deepEqual(step, [
    [before + 1, 2, 'strongswan.org__Debian_12-x86_64-bash-5.2.15-2~b8', '2030-01-01T00:00:01Z'],
    [before + 2, 2, 'strongswan.org__Debian_12-x86_64-less-590-2.1~deb12u2', '2030-01-01T00:00:01Z'],
    [before + 3, 1, 'strongswan.org__Debian_12-x86_64-bash-5.2.15-3', '2030-01-01T00:00:01Z'],
    [before + 4, 1, 'strongswan.org__Debian_12-x86_64-telnet-0.17~2.4-2', '2030-01-01T00:00:01Z'],
  ]);
  // same identifier, different stanza: an alteration
  const text = readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8');
  writeFileSync(
    join(root, 'var/lib/dpkg/status'),
    text.replace('Description: test package', 'Description: patched test package'),
  );
  assert.equal(await c.collect(), 1);
  assert.equal(store.eventsSince(before + 5)[0].action, 3);
  // the inventory at a point in time replays the log
  assert.ok(store.inventoryAt(before).some((i) => i.swId.endsWith('-less-590-2.1~deb12u2')));
  assert.equal(
    store.inventoryAt(before + 4).some((i) => i.swId.endsWith('-less-590-2.1~deb12u2')),
    false,
  );
  assert.deepEqual(
    store.inventoryAt(store.lastEid()).map((i) => i.swId),
    store.inventory().map((i) => i.swId),
  );
  store.close();
});

test('the epoch is made once with the store and kept; EIDs continue after reopening', async () => {
  const path = join(dir, 'epoch.db');
  const s1 = new SwimaStore(path);
  const epoch = s1.epoch;
  const [eid] = s1.append([
    { timestamp: '2030-01-01T00:00:00Z', action: 1, swId: 'x__a-1', package: 'a', version: '1' },
  ]);
  s1.close();
  const s2 = new SwimaStore(path);
  assert.equal(s2.epoch, epoch);
  assert.deepEqual(
    s2.append([{ timestamp: '2030-01-01T00:00:00Z', action: 2, swId: 'x__a-1', package: 'a', version: '1' }]),
    [eid + 1],
  );
  assert.deepEqual(s2.inventory(), []);
  s2.close();
  assert.notEqual(
    new SwimaStore(join(dir, 'other.db')).epoch === epoch && new SwimaStore(join(dir, 'other2.db')).epoch === epoch,
    true,
  );
});
