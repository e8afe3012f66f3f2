import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { checkNotNewer, migrate, type Migration } from '../../db/migrate';
import { openDatabase } from '../../db/open';
import { Sql } from '../../db/sql';
import { DEFAULT_STORE_PATH } from './store-path';

/** RFC 8412: EIDs are 32-bit; the store refuses to go past the last one rather than wrap. */
const MAX_EID = 0xffffffff;

// AUTOINCREMENT: SQLite never hands out a rowid that was ever used in the table, so an EID is never
// reused, not even after deleting rows; the sequence is bumped in the same transaction as the event.
// Version 1 is the schema stores had before they were versioned: IF NOT EXISTS adopts such a store as is.
const V1_EVENT_LOG = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sw_identifiers (
  id INTEGER PRIMARY KEY, sw_id TEXT NOT NULL UNIQUE, package TEXT NOT NULL, version TEXT NOT NULL,
  installed INTEGER NOT NULL DEFAULT 0, fingerprint TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS sw_identifiers_installed ON sw_identifiers(installed, sw_id);
CREATE TABLE IF NOT EXISTS events (
  eid INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL,
  sw INTEGER NOT NULL REFERENCES sw_identifiers(id), action INTEGER NOT NULL);
`;

// inventoryAt() takes each identifier's latest event up to an EID: by identifier, then EID.
const V2_EVENTS_BY_IDENTIFIER = `CREATE INDEX events_sw ON events(sw, eid);`;

export const SWIMA_MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'SWIMA event log: identifiers, events, the EID epoch', sql: V1_EVENT_LOG },
  { version: 2, description: 'events by identifier', sql: V2_EVENTS_BY_IDENTIFIER },
];

export class SwimaStoreError extends Error {
  override readonly name = 'SwimaStoreError';
}

const tooNew = { what: 'SWIMA store', tooNew: (m: string) => new SwimaStoreError(m) };

function openToWrite(path: string): { sql: Sql; epoch: number } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // 0640: the inventory is the daemon's; its group (doctor) may read it
  return openDatabase(path, 'SWIMA store', 0o640, (db) => {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrate(db, SWIMA_MIGRATIONS, tooNew);
    const sql = new Sql(db);
    const epoch = sql.tx(() => {
      // RFC 8412 3.7.4: the epoch is random so that a recreated store is told apart
      sql.run("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)", randomBytes(4).readUInt32BE(0));
      return sql.get<{ value: number }>("SELECT value FROM meta WHERE key = 'epoch'")!.value;
    });
    return { sql, epoch };
  });
}

/** A store written by a newer tnc-agent, or one without an epoch, is refused. */
function openToRead(path: string): { sql: Sql; epoch: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    checkNotNewer(db, SWIMA_MIGRATIONS, tooNew);
    const sql = new Sql(db);
    const epoch = sql.get<{ value: number }>("SELECT value FROM meta WHERE key = 'epoch'");
    if (!epoch) throw new SwimaStoreError('it has no EID epoch');
    return { sql, epoch: epoch.value };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** One software identifier the endpoint knows (installed now or in the past). */
export interface StoredIdentifier {
  /** Record Identifier on the wire (stable for the life of the store). */
  readonly id: number;
  readonly swId: string;
  readonly package: string;
  readonly version: string;
}

export interface StoredEvent {
  readonly eid: number;
  /** RFC 3339 UTC, 20 characters. */
  readonly timestamp: string;
  /** RFC 8412 action: 1 creation, 2 deletion, 3 alteration. */
  readonly action: number;
  readonly identifier: StoredIdentifier;
}

/** A change to record: the identifier's install state follows the action. */
export interface NewEvent {
  readonly timestamp: string;
  readonly action: number;
  readonly swId: string;
  readonly package: string;
  readonly version: string;
  readonly fingerprint?: string;
}

type EventRow = {
  eid: number;
  timestamp: string;
  action: number;
  id: number;
  sw_id: string;
  package: string;
  version: string;
};
const toEvent = (r: EventRow): StoredEvent => ({
  eid: r.eid,
  timestamp: r.timestamp,
  action: r.action,
  identifier: { id: r.id, swId: r.sw_id, package: r.package, version: r.version },
});
const IDENT_COLS = 'id, sw_id AS swId, package, version';

/**
 * The endpoint's SWIMA event log (RFC 8412 3.7): SQLite in WAL mode with synchronous FULL, so a
 * committed event survives kill -9. The EID epoch is drawn once, when the store is created.
 */
export class SwimaStore {
  readonly epoch: number;
  private readonly sql: Sql;

  /**
   * Opens the store, making it (and drawing its epoch) if it is new and bringing its schema up to
   * date; `readOnly` (doctor) opens an existing store and creates, migrates and draws nothing.
   */
  constructor(
    readonly path: string = DEFAULT_STORE_PATH,
    opts: { readOnly?: boolean } = {},
  ) {
    const { sql, epoch } = opts.readOnly ? openToRead(path) : openToWrite(path);
    this.sql = sql;
    this.epoch = epoch;
  }

  close(): void {
    this.sql.db.close();
  }

  /** The newest EID, 0 when the log is empty. */
  lastEid(): number {
    return this.sql.get<{ eid: number | null }>('SELECT MAX(eid) AS eid FROM events')!.eid ?? 0;
  }

  isEmpty(): boolean {
    return this.sql.get('SELECT 1 FROM events LIMIT 1') === undefined;
  }

  /** Appends events in one transaction; returns their EIDs (strictly increasing). */
  append(events: readonly NewEvent[]): number[] {
    if (events.length === 0) return [];
    return this.sql.tx(() => {
      if (this.lastEid() + events.length > MAX_EID)
        throw new SwimaStoreError('the 32-bit EID space of this epoch is exhausted');
      return events.map((e) => this.appendOne(e));
    });
  }

  private appendOne(e: NewEvent): number {
    const installed = e.action === 2 ? 0 : 1;
    this.sql.run(
      `INSERT INTO sw_identifiers (sw_id, package, version, installed, fingerprint) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sw_id) DO UPDATE SET installed = excluded.installed, fingerprint = excluded.fingerprint`,
      e.swId,
      e.package,
      e.version,
      installed,
      e.fingerprint ?? '',
    );
    const sw = this.sql.get<{ id: number }>('SELECT id FROM sw_identifiers WHERE sw_id = ?', e.swId)!.id;
    return this.sql.run('INSERT INTO events (timestamp, sw, action) VALUES (?, ?, ?)', e.timestamp, sw, e.action)
      .lastInsertRowid;
  }

  /** How many software identifiers are installed now. */
  installedCount(): number {
    return this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM sw_identifiers WHERE installed = 1')!.n;
  }

  /** Installed identifiers with their fingerprints (what the collector compares dpkg's state with). */
  installedFingerprints(): Map<string, string> {
    const rows = this.sql.all<{ sw_id: string; fingerprint: string }>(
      'SELECT sw_id, fingerprint FROM sw_identifiers WHERE installed = 1',
    );
    return new Map(rows.map((r) => [r.sw_id, r.fingerprint]));
  }

  /** The inventory now, ordered by identifier; `only` restricts it to those identifiers (targeted request). */
  inventory(only: readonly string[] = []): StoredIdentifier[] {
    if (only.length === 0)
      return this.sql.all<StoredIdentifier>(
        `SELECT ${IDENT_COLS} FROM sw_identifiers WHERE installed = 1 ORDER BY sw_id`,
      );
    return this.sql.all<StoredIdentifier>(
      `SELECT ${IDENT_COLS} FROM sw_identifiers WHERE installed = 1 AND sw_id IN (SELECT value FROM json_each(?)) ORDER BY sw_id`,
      JSON.stringify(only),
    );
  }

  /** The inventory as it was right after event `eid`: identifiers whose latest event up to it is not a deletion. */
  inventoryAt(eid: number): StoredIdentifier[] {
    return this.sql.all<StoredIdentifier>(
      `SELECT ${IDENT_COLS} FROM sw_identifiers i JOIN
         (SELECT sw, MAX(eid) AS last FROM events WHERE eid <= ? GROUP BY sw) l ON l.sw = i.id
       JOIN events e ON e.eid = l.last WHERE e.action != 2 ORDER BY i.sw_id`,
      eid,
    );
  }

  /** Events with EID >= `earliest` in EID order, at most `limit`; `only` restricts them to those identifiers. */
  eventsSince(earliest: number, only: readonly string[] = [], limit = MAX_EID): StoredEvent[] {
    const sql = `SELECT e.eid, e.timestamp, e.action, i.id, i.sw_id, i.package, i.version FROM events e JOIN sw_identifiers i ON i.id = e.sw
      WHERE e.eid >= ? ${only.length > 0 ? 'AND i.sw_id IN (SELECT value FROM json_each(?))' : ''} ORDER BY e.eid LIMIT ?`;
    const params = only.length > 0 ? [earliest, JSON.stringify(only), limit] : [earliest, limit];
    return this.sql.all<EventRow>(sql, ...params).map(toEvent);
  }
}
