import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Queryable } from '../../src/db/engine';
import { POSTGRES, SQLITE } from '../helpers/engines';

/** Tables with their columns (name, type, not null), primary key, foreign keys, and every other index. */
interface LogicalSchema {
  tables: Record<string, { columns: string[]; primaryKey: string[]; references: string[] }>;
  indexes: string[];
}

// the engines' names for the three types the schema uses (src/db/ddl.ts)
const TYPE: Record<string, string> = {
  integer: 'integer',
  bigint: 'integer',
  text: 'text',
  blob: 'blob',
  bytea: 'blob',
};
const normal = (t: string): string => TYPE[t.toLowerCase()] ?? `unknown type ${t}`;

async function sqliteSchema(q: Queryable): Promise<LogicalSchema> {
  const out: LogicalSchema = { tables: {}, indexes: [] };
  const tables = await q.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  for (const { name } of tables) {
    const cols = await q.all<{ name: string; type: string; notnull: number; pk: number }>(
      'SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid',
      name,
    );
    const fks = await q.all<{ from: string; table: string }>(
      'SELECT "from", "table" FROM pragma_foreign_key_list(?)',
      name,
    );
    out.tables[name] = {
      // a primary key column is never null (SQLite's INTEGER PRIMARY KEY reports notnull 0)
      columns: cols.map((c) => `${c.name} ${normal(c.type)}${c.notnull || c.pk ? ' not null' : ''}`),
      primaryKey: cols
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      references: fks.map((f) => `${f.from} -> ${f.table}`).sort(),
    };
    const indexes = await q.all<{ name: string; unique: number; origin: string }>(
      'SELECT name, "unique", origin FROM pragma_index_list(?)',
      name,
    );
    for (const i of indexes.filter((x) => x.origin !== 'pk')) {
      const on = await q.all<{ name: string }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', i.name);
      out.indexes.push(`${name}(${on.map((c) => c.name).join(', ')})${i.unique ? ' unique' : ''}`);
    }
  }
  out.indexes.sort();
  return out;
}

async function postgresSchema(q: Queryable): Promise<LogicalSchema> {
  const out: LogicalSchema = { tables: {}, indexes: [] };
  const cols = await q.all<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  for (const c of cols) {
    out.tables[c.table_name] ??= { columns: [], primaryKey: [], references: [] };
    out.tables[c.table_name].columns.push(
      `${c.column_name} ${normal(c.data_type)}${c.is_nullable === 'NO' ? ' not null' : ''}`,
    );
  }
  const indexes = await q.all<{ tbl: string; cols: string; uniq: boolean; pk: boolean }>(
    `SELECT t.relname AS tbl, i.indisunique AS uniq, i.indisprimary AS pk,
            (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols
     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public'`,
  );
  for (const i of indexes) {
    if (i.pk) out.tables[i.tbl].primaryKey = i.cols.split(', ');
    else out.indexes.push(`${i.tbl}(${i.cols})${i.uniq ? ' unique' : ''}`);
  }
  const fks = await q.all<{ tbl: string; col: string; ref: string }>(
    `SELECT c.conrelid::regclass::text AS tbl, a.attname AS col, c.confrelid::regclass::text AS ref
     FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
     WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`,
  );
  for (const f of fks) out.tables[f.tbl].references.push(`${f.col} -> ${f.ref}`);
  for (const t of Object.values(out.tables)) t.references.sort();
  out.indexes.sort();
  return out;
}

test(
  'one migration list gives the same logical schema on SQLite and PostgreSQL: tables, columns, types, keys, indexes',
  { skip: POSTGRES.skip },
  async () => {
    const lite = await SQLITE.open();
    const pg = await POSTGRES.open();
    try {
      const a = await sqliteSchema(lite.db);
      const b = await postgresSchema(pg.db);
      assert.ok(Object.keys(a.tables).length >= 20, `${Object.keys(a.tables).length} tables`);
      assert.ok(a.indexes.some((i) => i.startsWith('file_hashes(product, file, algo, hash) unique')));
      assert.deepEqual(Object.keys(b.tables).sort(), Object.keys(a.tables).sort());
      for (const t of Object.keys(a.tables)) assert.deepEqual(b.tables[t], a.tables[t], `table ${t}`);
      assert.deepEqual(b.indexes, a.indexes);
      // and the same seed rows
      for (const sql of ['SELECT id, name FROM groups ORDER BY id', 'SELECT * FROM components ORDER BY id'])
        assert.deepEqual(await pg.db.all(sql), await lite.db.all(sql), sql);
    } finally {
      await lite.close();
      await pg.close();
    }
  },
);
