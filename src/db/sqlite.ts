import type Database from 'better-sqlite3';
import { Sql } from './sql';
import { columnType } from './ddl';
import type { CopyTarget, Db, Params, Queryable } from './engine';

/**
 * The SQLite engine: one better-sqlite3 connection. Its calls are synchronous, so a transaction
 * whose function awaits could let other callers' statements into it; a lock keeps them out until
 * it ends (statements outside a transaction wait for it too).
 */
export class SqliteDb implements Db {
  readonly engine = 'sqlite' as const;
  private readonly sql: Sql;
  private lock: Promise<void> = Promise.resolve();
  private locked = false;
  private readonly inTx: Queryable;

  constructor(
    readonly db: Database.Database,
    readonly description: string,
  ) {
    this.sql = new Sql(db);
    this.inTx = direct(this.sql);
  }

  private async outside<T>(fn: () => T): Promise<T> {
    while (this.locked) await this.lock;
    return fn();
  }

  run(sql: string, ...params: Params): Promise<{ changes: number }> {
    return this.outside(() => ({ changes: this.sql.run(sql, ...params).changes }));
  }

  get<T>(sql: string, ...params: Params): Promise<T | undefined> {
    return this.outside(() => this.sql.get<T>(sql, ...params));
  }

  all<T>(sql: string, ...params: Params): Promise<T[]> {
    return this.outside(() => this.sql.all<T>(sql, ...params));
  }

  exec(sql: string): Promise<void> {
    return this.outside(() => void this.db.exec(sql));
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    while (this.locked) await this.lock;
    this.locked = true;
    let release!: () => void;
    this.lock = new Promise((r) => (release = r));
    try {
      // IMMEDIATE: take the write lock now, so another process cannot slip in between our reads and writes
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.inTx);
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    } finally {
      this.locked = false;
      release();
    }
  }

  async copyRows(
    q: Queryable,
    target: CopyTarget,
    rows: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
  ): Promise<number> {
    const cols = target.columns.map(([name, type]) => `${name} ${columnType('sqlite', type)}`).join(', ');
    await q.exec(`CREATE TEMP TABLE ${target.table} (${cols})`);
    const insert = `INSERT INTO ${target.table} VALUES (${target.columns.map(() => '?').join(', ')})`;
    let n = 0;
    for await (const r of rows) {
      this.sql.run(insert, ...r);
      n++;
    }
    return n;
  }

  async close(): Promise<void> {
    while (this.locked) await this.lock;
    this.db.close();
  }
}

/** Statements straight on the connection: inside the transaction that holds the lock. */
function direct(sql: Sql): Queryable {
  return {
    engine: 'sqlite',
    run: async (s, ...p) => ({ changes: sql.run(s, ...p).changes }),
    get: async <T>(s: string, ...p: Params) => sql.get<T>(s, ...p),
    all: async <T>(s: string, ...p: Params) => sql.all<T>(s, ...p),
    exec: async (s) => void sql.db.exec(s),
  };
}
