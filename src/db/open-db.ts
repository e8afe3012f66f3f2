import { openDatabase } from './open';
import { type Db, isPostgresUrl } from './engine';
import { PostgresDb, type PostgresOptions } from './postgres';
import { SqliteDb } from './sqlite';

export type OpenDbOptions = PostgresOptions;

/**
 * The policy database at `location`: a postgres:// (postgresql://) URL opens a PostgreSQL pool,
 * anything else is an SQLite file (':memory:' for tests), made 0600 when new (it holds device
 * identities and their verdicts), in WAL mode with foreign keys enforced.
 */
export function openDb(location: string, o: OpenDbOptions = {}): Db {
  if (isPostgresUrl(location)) return new PostgresDb(location, o);
  return openDatabase(location, 'policy database', 0o600, (db) => {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    return new SqliteDb(db, location);
  });
}
