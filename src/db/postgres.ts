import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { from as copyFrom } from 'pg-copy-streams';
import { type CopyTarget, type Db, DbError, numberedPlaceholders, type Params, type Queryable } from './engine';
import { columnType } from './ddl';

export interface PostgresOptions {
  /** File holding the password (its first line); else PGPASSWORD, else none (peer/trust auth, or ~/.pgpass). */
  readonly passwordFile?: string;
  /** Connections this process keeps at most (default 10). */
  readonly maxConnections?: number;
}

// PostgreSQL int8 (COUNT, BIGINT columns) arrives as text; our values (ids, Unix times, milliseconds) fit a double
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** SQLSTATEs after which a transaction may simply run again (PostgreSQL Appendix A). */
const RETRYABLE = new Set(['40001', '40P01']);

/** The URL without its password, for logs. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

function password(url: URL, o: PostgresOptions): string | undefined {
  if (url.password !== '')
    throw new DbError(
      'the PostgreSQL URL holds a password: give it in a file (--db-password-file, [policy] db-password-file) or PGPASSWORD instead, never on the command line',
    );
  if (o.passwordFile === undefined) return process.env.PGPASSWORD;
  try {
    return readFileSync(o.passwordFile, 'utf8').split('\n')[0];
  } catch (e) {
    throw new DbError(`PostgreSQL password file '${o.passwordFile}': ${(e as Error).message}`);
  }
}

/** The PostgreSQL engine: a pool of connections; a transaction holds one of them to its end. */
export class PostgresDb implements Db {
  readonly engine = 'postgres' as const;
  readonly description: string;
  private readonly pool: pg.Pool;

  constructor(url: string, o: PostgresOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DbError(`'${describePostgresUrl(url)}' is not a PostgreSQL URL (postgres://USER@HOST:PORT/DB)`);
    }
    this.description = describePostgresUrl(url);
    this.pool = new pg.Pool({
      // parsed here: a connectionString would override the password given beside it
      ...(parseIntoClientConfig(url) as pg.PoolConfig),
      password: password(parsed, o),
      max: o.maxConnections ?? 10,
      types,
    });
    // an idle connection the server dropped: the pool replaces it; nothing to crash over
    this.pool.on('error', () => undefined);
  }

  private async query<T>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params: Params,
  ): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
    try {
      return await client.query<T & pg.QueryResultRow>(numberedPlaceholders(sql), params as unknown[]);
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === undefined && !(err.message ?? '').includes(this.description))
        err.message = `policy database ${this.description}: ${err.message}`;
      throw err;
    }
  }

  private on(client: pg.Pool | pg.PoolClient): Queryable {
    return {
      engine: 'postgres',
      run: async (sql, ...p) => ({ changes: (await this.query(client, sql, p)).rowCount ?? 0 }),
      get: async <T>(sql: string, ...p: Params) => (await this.query<T>(client, sql, p)).rows[0] as T | undefined,
      all: async <T>(sql: string, ...p: Params) => (await this.query<T>(client, sql, p)).rows as T[],
      exec: async (sql) => void (await client.query(sql)),
    };
  }

  run(sql: string, ...params: Params): Promise<{ changes: number }> {
    return this.on(this.pool).run(sql, ...params);
  }

  get<T>(sql: string, ...params: Params): Promise<T | undefined> {
    return this.on(this.pool).get<T>(sql, ...params);
  }

  all<T>(sql: string, ...params: Params): Promise<T[]> {
    return this.on(this.pool).all<T>(sql, ...params);
  }

  exec(sql: string): Promise<void> {
    return this.on(this.pool).exec(sql);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(Object.assign(this.on(client), { client }));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (attempt < 5 && RETRYABLE.has((e as { code?: string }).code ?? '')) continue;
        throw e;
      } finally {
        client.release();
      }
    }
  }

  /** COPY ... FROM STDIN (text format) into a temporary table of the transaction `q`. */
  async copyRows(
    q: Queryable,
    target: CopyTarget,
    rows: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
  ): Promise<number> {
    const client = (q as { client?: pg.PoolClient }).client;
    if (!client) throw new DbError('copyRows needs a transaction');
    const cols = target.columns.map(([name, type]) => `${name} ${columnType('postgres', type)}`).join(', ');
    await client.query(`CREATE TEMP TABLE ${target.table} (${cols})`);
    let n = 0;
    const lines = Readable.from(
      (async function* () {
        for await (const r of rows) {
          n++;
          yield `${r.map(copyField).join('\t')}\n`;
        }
      })(),
    );
    const names = target.columns.map(([name]) => name).join(', ');
    await pipeline(lines, client.query(copyFrom(`COPY ${target.table} (${names}) FROM STDIN`)));
    return n;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** One value in COPY's text format (PostgreSQL COPY, "Text Format"): \N for null, bytea as \\x hex, escapes. */
function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  return String(v).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
}
