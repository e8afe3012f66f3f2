/**
 * Several servers on one PostgreSQL database: two stores (two connection pools, as two
 * `--server-mode` processes have) doing the same thing at the same moment. SQLite runs the same
 * calls concurrently on one store (one server per file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyStore } from '../../src/policy/store';
import { AttestationStore } from '../../src/policy/attestation';
import { MIGRATIONS } from '../../src/policy/schema';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Recommendation } from '../../src/tnccs/types';
import { ENGINES, POSTGRES, type EngineUnderTest } from '../helpers/engines';

const ROUNDS = 25;
const count = async (s: PolicyStore, sql: string, ...p: unknown[]) =>
  (await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${sql}`, ...p))!.n;

/** Two "servers" on one database: on PostgreSQL two stores, on SQLite the one store twice. */
async function pair(e: EngineUnderTest): Promise<[PolicyStore, PolicyStore, () => Promise<void>]> {
  const at = await e.location();
  const opts = { passwordFile: at.passwordFile };
  const a = await PolicyStore.open(at.db, opts);
  const b = e.name === 'postgres' ? await PolicyStore.open(at.db, opts) : a;
  return [a, b, async () => void (await Promise.all([a.close(), b === a ? undefined : b.close()]))];
}

test('postgres: servers starting at once on a new database migrate it once', { skip: POSTGRES.skip }, async () => {
  const at = await POSTGRES.location();
  const stores = await Promise.all(
    Array.from({ length: 4 }, () => PolicyStore.open(at.db, { passwordFile: at.passwordFile })),
  );
  try {
    assert.equal(await count(stores[0], 'schema_version'), MIGRATIONS.length);
    assert.equal(await count(stores[0], "groups WHERE name = 'Default'"), 1);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

for (const e of ENGINES) {
  test(
    `${e.name}: the same new device on first contact at two servers at once: one device row, one product, every session its own ID`,
    { skip: e.skip },
    async () => {
      const [a, b, close] = await pair(e);
      try {
        await a.addEnforcement(WorkitemType.SWIDT, 'R');
        await a.addEnforcement(WorkitemType.FWDEN, '');
        const first = async (s: PolicyStore, i: number) => {
          const started = await s.startSession(i, null, `new-device-${i % 5}`, `Product ${i % 3}`);
          const items = await s.createWorkitems(started.id);
          for (const w of items) await s.setWorkitemResult(w.id, Recommendation.ALLOW, 'ok');
          await s.stopSession(started.id);
          return started.id;
        };
        const ids = await Promise.all(Array.from({ length: ROUNDS * 2 }, (_, i) => first(i % 2 === 0 ? a : b, i)));
        assert.equal(new Set(ids).size, ids.length, 'session IDs are unique across servers');
        assert.equal(await count(a, 'devices'), 5);
        assert.equal(await count(a, 'products'), 3);
        assert.equal(await count(a, 'sessions'), ROUNDS * 2);
        assert.equal(await count(a, 'groups_members'), 5, 'each device joined Default once');
        assert.equal(await count(a, 'results'), ROUNDS * 2 * 2, 'every workitem result archived');
        assert.equal(await count(a, 'workitems'), 0);
        assert.equal(await count(a, 'sessions WHERE rec = ?', Recommendation.ALLOW), ROUNDS * 2);
      } finally {
        await close();
      }
    },
  );

  test(
    `${e.name}: reference hashes imported by two importers while servers look them up: each hash stored once, lookups never fail`,
    { skip: e.skip },
    async () => {
      const [a, b, close] = await pair(e);
      try {
        const entries = (from: number, n: number) =>
          Array.from({ length: n }, (_, i) => ({
            path: `/usr/lib/x/d${(from + i) % 50}/f${from + i}`,
            algo: 0x4000,
            hash: Buffer.alloc(32, (from + i) & 0xff),
          }));
        const attA = new AttestationStore(a);
        const attB = new AttestationStore(b);
        const product = await a.getOrCreateProduct('Debian 12 x86_64');
        const lookups = async () => {
          for (let i = 0; i < 20; i++) {
            const paths = entries(i * 100, 100).map((x) => x.path);
            const refs = await attB.referenceHashes(product, paths, 0x4000);
            assert.equal(refs.size, 100);
          }
        };
        // overlapping ranges: 0-5999 and 3000-8999
        const [n1, n2] = await Promise.all([
          attA.importFileHashes('Debian 12 x86_64', entries(0, 6000)),
          attB.importFileHashes('Debian 12 x86_64', entries(3000, 6000)),
          lookups(),
        ]);
        assert.equal(n1 + n2, 9000, 'the overlap was stored by one of them only');
        assert.equal(await count(a, 'file_hashes'), 9000);
        assert.equal(await count(a, 'files'), 9000);
        assert.equal(await count(a, 'directories'), 50);
        const refs = await attA.referenceHashes(product, ['/usr/lib/x/d7/f4507', '/usr/lib/x/d0/nope'], 0x4000);
        assert.deepEqual(refs.get('/usr/lib/x/d7/f4507'), [Buffer.alloc(32, 4507 & 0xff)]);
        assert.deepEqual(refs.get('/usr/lib/x/d0/nope'), []);
      } finally {
        await close();
      }
    },
  );

  test(
    `${e.name}: first-contact registrations of one device at two servers: the first sequence stays`,
    { skip: e.skip },
    async () => {
      const [a, b, close] = await pair(e);
      try {
        const device = (await a.getOrCreateDevice('ak-1')).id;
        const component = a.componentId(36906, 3, 0x21)!;
        const seq = (fill: number) => [1, 2, 3].map((seqNo) => ({ seqNo, pcr: 0, hash: Buffer.alloc(32, fill) }));
        await Promise.all([
          new AttestationStore(a).registerComponentHashes(device, component, 0x4000, seq(1)),
          new AttestationStore(b).registerComponentHashes(device, component, 0x4000, seq(2)),
        ]);
        const stored = (await new AttestationStore(a).componentHashes(device, 0x4000)).get(component)!;
        assert.equal(stored.length, 3);
        assert.equal(new Set(stored.map((h) => h.hash.toString('hex'))).size, 1, 'one whole sequence, not a mix');
      } finally {
        await close();
      }
    },
  );
}
