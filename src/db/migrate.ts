import type { Database } from 'better-sqlite3';

/** A schema step; `version` numbers are consecutive from 1 and never change once released. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** The one schema mechanism of our SQLite files: each applied step is a row of `schema_version`. */
const VERSION_TABLE =
  'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied INTEGER NOT NULL)';

export interface MigrateOptions {
  /** What the file is, for the error: "policy database", "SWIMA store". */
  readonly what: string;
  /** Unix seconds recorded with each step. */
  readonly now?: number;
  /** The error a file written by a newer tnc-agent is refused with (default Error). */
  readonly tooNew?: (message: string) => Error;
}

/** The newest applied step, 0 for a file with none (new, or made before it was versioned). */
export function schemaVersion(db: Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  return (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
}

/** The newest version `migrations` knows. */
export const newestVersion = (migrations: readonly Migration[]): number =>
  migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;

/** Refuses a file written by a newer tnc-agent (its schema has steps this one does not know). */
export function checkNotNewer(db: Database, migrations: readonly Migration[], o: MigrateOptions): number {
  const current = schemaVersion(db);
  const known = newestVersion(migrations);
  if (current > known) {
    const message = `${o.what} schema version ${current} is newer than this tnc-agent knows (${known}); upgrade tnc-agent`;
    throw o.tooNew ? o.tooNew(message) : new Error(message);
  }
  return current;
}

/** Brings `db` to the newest schema, each step in its own transaction; returns the version. */
export function migrate(db: Database, migrations: readonly Migration[], o: MigrateOptions): number {
  const current = checkNotNewer(db, migrations, o);
  db.exec(VERSION_TABLE);
  const record = db.prepare('INSERT INTO schema_version (version, description, applied) VALUES (?, ?, ?)');
  const now = o.now ?? Math.floor(Date.now() / 1000);
  for (const m of migrations.filter((x) => x.version > current)) {
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.description, now);
    })();
  }
  return newestVersion(migrations);
}
