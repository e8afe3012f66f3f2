import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SWIMA_MIGRATIONS, SwimaStore, SwimaStoreError } from '../../src/imcs/swima/store';

// The endpoint's SWIMA store migrates as the policy database does (src/db/migrate.ts): a store of the
// schema before versioning is adopted and upgraded in place, keeping its epoch, identifiers and EIDs.
const dir = mkdtempSync(join(tmpdir(), 'tnc-swima-schema-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The DDL SwimaStore ran before the store was versioned (no schema_version table) is version 1's,
// which a release never changes: its hash is frozen here.
const UNVERSIONED_DDL = SWIMA_MIGRATIONS[0].sql;

test('version 1 is the unversioned DDL, unchanged', () => {
  assert.equal(
    createHash('sha256').update(UNVERSIONED_DDL).digest('hex'),
    '4acb28f7164fdc6da775e4f5e8f4d41e9800aab9a13e0205ab9b78d6a4b1b44a',
  );
});

const T = '2026-12-01T10:00:00Z';

/** An unversioned store: epoch 0x1234abcd, three identifiers (one removed), five events, EID 3 deleted. */
function unversionedStore(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(UNVERSIONED_DDL);
  db.prepare("INSERT INTO meta (key, value) VALUES ('epoch', ?)").run(0x1234abcd);
  const ident = db.prepare(
    'INSERT INTO sw_identifiers (sw_id, package, version, installed, fingerprint) VALUES (?, ?, ?, ?, ?)',
  );
  ident.run('deb-bash-5.2', 'bash', '5.2', 1, 'f1');
  ident.run('deb-curl-7.88', 'curl', '7.88', 0, 'f2');
  ident.run('deb-zsh-5.9', 'zsh', '5.9', 1, 'f3');
  const event = db.prepare('INSERT INTO events (timestamp, sw, action) VALUES (?, ?, ?)');
  for (const [sw, action] of [
    [1, 1],
    [2, 1],
    [3, 1],
    [2, 2],
    [3, 3],
  ])
    event.run(T, sw, action);
  // a deleted row: AUTOINCREMENT must still never hand out EID 5 again
  db.prepare('DELETE FROM events WHERE eid = 5').run();
  db.close();
}

const versions = (path: string): number[] => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all() as number[];
  } finally {
    db.close();
  }
};

test('a store of the unversioned schema is upgraded to the newest version with no data lost', () => {
  const path = join(dir, 'old.db');
  unversionedStore(path);

  // doctor's read-only look neither migrates nor draws an epoch
  const peek = new SwimaStore(path, { readOnly: true });
  assert.deepEqual([peek.epoch, peek.lastEid(), peek.installedCount()], [0x1234abcd, 4, 2]);
  peek.close();
  assert.throws(() => versions(path), /no such table: schema_version/);

  const store = new SwimaStore(path);
  assert.equal(store.epoch, 0x1234abcd, 'the epoch survives: the server need not ask for the whole inventory');
  assert.equal(store.lastEid(), 4);
  assert.deepEqual(
    store.inventory().map((i) => [i.id, i.swId]),
    [
      [1, 'deb-bash-5.2'],
      [3, 'deb-zsh-5.9'],
    ],
  );
  assert.deepEqual(
    store.eventsSince(1).map((e) => [e.eid, e.identifier.swId, e.action]),
    [
      [1, 'deb-bash-5.2', 1],
      [2, 'deb-curl-7.88', 1],
      [3, 'deb-zsh-5.9', 1],
      [4, 'deb-curl-7.88', 2],
    ],
  );
  assert.deepEqual(
    store.inventoryAt(2).map((i) => i.swId),
    ['deb-bash-5.2', 'deb-curl-7.88'],
  );
  assert.deepEqual(
    store.installedFingerprints(),
    new Map([
      ['deb-bash-5.2', 'f1'],
      ['deb-zsh-5.9', 'f3'],
    ]),
  );
  assert.deepEqual(
    store.append([{ timestamp: T, action: 1, swId: 'deb-vim-9.0', package: 'vim', version: '9.0' }]),
    [6],
    'EIDs go on after the highest ever used',
  );
  store.close();

  const newest = SWIMA_MIGRATIONS[SWIMA_MIGRATIONS.length - 1].version;
  assert.ok(newest >= 2, 'there is a step after the unversioned schema');
  assert.deepEqual(
    versions(path),
    SWIMA_MIGRATIONS.map((m) => m.version),
  );
  const db = new Database(path, { readonly: true });
  const index = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'events_sw'").get();
  db.close();
  assert.ok(index, 'version 2 added the events-by-identifier index');

  const again = new SwimaStore(path);
  assert.deepEqual([again.epoch, again.lastEid()], [0x1234abcd, 6]);
  again.close();
  assert.equal(versions(path).length, SWIMA_MIGRATIONS.length, 'a second open applies nothing');
});

test('a new store gets every step; a store written by a newer tnc-agent is refused, also read-only', () => {
  const path = join(dir, 'new.db');
  new SwimaStore(path).close();
  assert.deepEqual(
    versions(path),
    SWIMA_MIGRATIONS.map((m) => m.version),
  );

  const db = new Database(path);
  db.prepare("INSERT INTO schema_version (version, description, applied) VALUES (99, 'from the future', 0)").run();
  db.close();
  const refused = (e: unknown) =>
    e instanceof SwimaStoreError &&
    e.message.includes(`SWIMA store schema version 99 is newer than this tnc-agent knows (${SWIMA_MIGRATIONS.length})`);
  assert.throws(() => new SwimaStore(path), refused);
  assert.throws(() => new SwimaStore(path, { readOnly: true }), refused);
});

test('read-only: a missing store is not made, one without an epoch is refused', () => {
  assert.throws(
    () => new SwimaStore(join(dir, 'missing.db'), { readOnly: true }),
    /unable to open|directory does not exist/,
  );
  const path = join(dir, 'no-epoch.db');
  const db = new Database(path);
  db.exec(UNVERSIONED_DDL);
  db.close();
  assert.throws(() => new SwimaStore(path, { readOnly: true }), /no EID epoch/);
});
