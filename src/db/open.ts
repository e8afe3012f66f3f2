import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Opens an SQLite file and prepares it with `init`. A new file is made with `mode` first (SQLite
 * gives its -wal and -shm files the same mode), so the umask can only make it stricter; any
 * failure (not a database, corrupt, unreadable) is rethrown naming `what` and the file.
 */
export function openDatabase<T>(path: string, what: string, mode: number, init: (db: Database.Database) => T): T {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') createIfMissing(path, mode);
    db = new Database(path);
    return init(db);
  } catch (e) {
    db?.close();
    // the same error (its class and code stay for callers), its message naming the file
    const err = e instanceof Error ? e : new Error(String(e));
    const code = (err as { code?: unknown }).code;
    err.message = `${what} '${path}': ${err.message}${typeof code === 'string' && !err.message.includes(code) ? ` (${code})` : ''}`;
    throw err;
  }
}

function createIfMissing(path: string, mode: number): void {
  try {
    closeSync(openSync(path, 'wx', mode));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
