import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttestationStore, AttestationView, LOOKUP_CHUNK, referenceLookupSql } from '../../src/policy/attestation';
import { lookupPaths } from '../../src/imvs/attestation/ima-lookup';
import { ENGINES, POSTGRES } from '../helpers/engines';

const PRODUCT = 'Debian 12 x86_64';
const SHA256 = 0x4000;
const entry = (i: number) => ({ path: `/usr/lib/d${i % 40}/f${i}`, algo: SHA256, hash: Buffer.alloc(32, i & 0xff) });

for (const e of ENGINES) {
  test(
    `${e.name}: the references of a PA message's files come in one query (per ${LOOKUP_CHUNK} names), UsrMerge alternatives included`,
    { skip: e.skip },
    async () => {
      const store = await e.open();
      try {
        const att = new AttestationStore(store);
        await att.importFileHashes(
          PRODUCT,
          Array.from({ length: 2000 }, (_, i) => entry(i)),
        );
        await att.importFileHashes(PRODUCT, [{ path: '/usr/bin/ls', algo: SHA256, hash: Buffer.alloc(32, 9) }]);
        const product = await store.getOrCreateProduct(PRODUCT);
        let queries = 0;
        const all = store.db.all.bind(store.db);
        store.db.all = ((sql: string, ...p: unknown[]) => {
          if (sql.includes('file_hashes')) queries++;
          return all(sql, ...p);
        }) as typeof store.db.all;
        const view = new AttestationView(att);
        const message = Array.from({ length: 300 }, (_, i) => entry(i * 3).path);
        const symlinks = [{ symlink: '/bin', target: '/usr/bin' }];
        await view.loadReferences(product, SHA256, lookupPaths([...message, '/bin/ls'], symlinks));
        assert.equal(queries, 1, '300 files and an alternative: one query');
        assert.deepEqual(view.referenceHashes(product, entry(30).path, SHA256), [Buffer.alloc(32, 30)]);
        assert.deepEqual(view.referenceHashes(product, '/usr/bin/ls', SHA256), [Buffer.alloc(32, 9)]);
        assert.deepEqual(view.referenceHashes(product, '/bin/ls', SHA256), []);
        assert.throws(() => view.referenceHashes(product, '/not/in/the/message', SHA256), /not loaded/);
        assert.throws(() => view.referenceHashes(product, entry(30).path, 0x8000), /not loaded/, 'another algorithm');
        queries = 0;
        await view.loadReferences(
          product,
          SHA256,
          Array.from({ length: 1200 }, (_, i) => entry(i).path),
        );
        assert.equal(queries, Math.ceil(1200 / LOOKUP_CHUNK));
        // the previous message's names stay for one message (an entry's template data may come after it)
        assert.deepEqual(view.referenceHashes(product, '/usr/bin/ls', SHA256), [Buffer.alloc(32, 9)]);
      } finally {
        await store.close();
      }
    },
  );
}

test(
  'postgres: the reference lookup reads indexes only (Index Only Scan on directories, files, file_hashes)',
  { skip: POSTGRES.skip },
  async () => {
    const store = await POSTGRES.open();
    try {
      await new AttestationStore(store).importFileHashes(
        PRODUCT,
        Array.from({ length: 5000 }, (_, i) => entry(i)),
      );
      await store.db.exec('VACUUM ANALYZE'); // the visibility map index-only scans rely on
      const paths = Array.from({ length: 50 }, (_, i) => entry(i * 7).path);
      const plan = await store.db.tx(async (q) => {
        // at test size the planner would rather scan the small tables (bench/fleet.ts times 2M rows):
        // with scans and hash/merge joins priced out, the plan shows what the indexes alone can serve
        await q.exec(
          'SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off',
        );
        const rows = await q.all<{ 'QUERY PLAN': string }>(
          `EXPLAIN ${referenceLookupSql(paths.length)}`,
          ...paths.flatMap((p) => [p.slice(0, p.lastIndexOf('/')), p.slice(p.lastIndexOf('/') + 1)]),
          1,
          SHA256,
        );
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      for (const index of ['directories_path_id', 'files_dir_name_id', 'file_hashes_lookup'])
        assert.match(plan, new RegExp(`Index Only Scan using ${index}`), plan);
      assert.doesNotMatch(plan, /Seq Scan|Heap|Index Scan using/, plan);
    } finally {
      await store.close();
    }
  },
);
