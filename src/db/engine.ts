/**
 * The policy store's database, whichever engine holds it: SQLite (one file, the embedded default) or
 * PostgreSQL (shared by several servers). Statements are written once, in the SQL both engines
 * accept, with `?` placeholders; an engine translates them to its own (PostgreSQL: `$1`, `$2`, ...).
 */
export type Engine = 'sqlite' | 'postgres';

export type Params = readonly unknown[];

/** What statements run on: the database, or one transaction on it. */
export interface Queryable {
  readonly engine: Engine;
  /** A statement without rows; `changes` = rows inserted, updated or deleted. */
  run(sql: string, ...params: Params): Promise<{ changes: number }>;
  get<T>(sql: string, ...params: Params): Promise<T | undefined>;
  all<T>(sql: string, ...params: Params): Promise<T[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** Rows of a staging table, streamed into the database (PostgreSQL COPY, SQLite prepared inserts). */
export interface CopyTarget {
  readonly table: string;
  readonly columns: readonly (readonly [name: string, type: ColumnType])[];
}

/** The column types the schema uses, as each engine spells them (ddl.ts). */
export type ColumnType = 'integer' | 'text' | 'blob';

export interface Db extends Queryable {
  /**
   * Runs `fn` in one transaction on `q` (all or nothing; retried from the start when PostgreSQL
   * reports a serialization failure or deadlock, so `fn` must not have effects outside `q`).
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Streams rows into a new temporary table of `q`'s transaction (PostgreSQL: COPY FROM STDIN); the
   * caller merges it with INSERT ... SELECT and drops it. Returns how many rows were written.
   */
  copyRows(
    q: Queryable,
    target: CopyTarget,
    rows: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
  ): Promise<number>;
  close(): Promise<void>;
  /** Where it is, without a password (for logs and errors). */
  readonly description: string;
}

/** A database-level error (cannot connect, bad URL, missing password file) naming what it was about. */
export class DbError extends Error {
  override readonly name = 'DbError';
}

/** True for a PostgreSQL connection URL (`postgres://` or `postgresql://`); anything else is an SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** `?` → `$1`, `$2`, ... outside string literals and quoted identifiers. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  let quote: string | undefined;
  let out = '';
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/** `(?, ?), (?, ?)`: placeholders for `rows` rows of `width` values (multi-row VALUES and row-value IN lists). */
export function rowPlaceholders(rows: number, width: number): string {
  const one = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => one).join(', ');
}
