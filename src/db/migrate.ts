import type { Database } from 'better-sqlite3';
import { ddlFor } from './ddl';
import type { Db, Queryable } from './engine';

/** A schema step; `version` numbers are consecutive from 1 and never change once released. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/**
 * The one schema mechanism of our databases (the policy store on either engine, the SWIMA store): each
 * applied step is a row of `schema_version`; `migrate` runs it on a better-sqlite3 file, `migrateDb` on an engine.
 */
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
  refuseNewer(current, migrations, o);
  return current;
}

function refuseNewer(current: number, migrations: readonly Migration[], o: MigrateOptions): void {
  const known = newestVersion(migrations);
  if (current <= known) return;
  const message = `${o.what} schema version ${current} is newer than this tnc-agent knows (${known}); upgrade tnc-agent`;
  throw o.tooNew ? o.tooNew(message) : new Error(message);
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

// any constant: the key of the advisory lock N servers starting at once queue on while one migrates
const MIGRATION_LOCK = 0x746e6331;

/**
 * `migrate` on an engine, all steps in one transaction: servers starting together on one PostgreSQL
 * database migrate one after the other (an advisory lock), the later ones finding nothing left to do.
 */
export async function migrateDb(db: Db, migrations: readonly Migration[], o: MigrateOptions): Promise<number> {
  await db.tx(async (q) => {
    if (q.engine === 'postgres') await q.get('SELECT pg_advisory_xact_lock(?)', MIGRATION_LOCK);
    await q.exec(ddlFor(q.engine, VERSION_TABLE));
    const current = await engineSchemaVersion(q);
    refuseNewer(current, migrations, o);
    const now = o.now ?? Math.floor(Date.now() / 1000);
    for (const m of migrations.filter((x) => x.version > current)) {
      await q.exec(ddlFor(q.engine, m.sql));
      await q.run(
        'INSERT INTO schema_version (version, description, applied) VALUES (?, ?, ?)',
        m.version,
        m.description,
        now,
      );
    }
  });
  return newestVersion(migrations);
}

export async function engineSchemaVersion(q: Queryable): Promise<number> {
  return (await q.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version'))?.v ?? 0;
}
