/**
 * The policy store's two engines, for suites that run on both: SQLite (in memory, or a file) and
 * PostgreSQL (a throwaway cluster, test/helpers/postgres.ts, started on first use and stopped
 * when the file's tests end; each store opened gets a database of its own).
 */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyStore, type PolicyStoreOptions } from '../../src/policy/store';
import { postgresSkip, startPostgres, type PgCluster } from './postgres';

export interface DbLocation {
  readonly db: string;
  readonly passwordFile?: string;
}

export interface EngineUnderTest {
  readonly name: 'sqlite' | 'postgres';
  /** Why this engine's tests skip here (printed by the runner); undefined: they run. */
  readonly skip?: string;
  /** A new empty database. */
  location(): Promise<DbLocation>;
  /** A store on a new empty database. */
  open(opts?: PolicyStoreOptions): Promise<PolicyStore>;
}

let cluster: PgCluster | undefined;
const dirs: string[] = [];
after(() => {
  cluster?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function pgCluster(): PgCluster {
  cluster ??= startPostgres();
  return cluster;
}

export const SQLITE: EngineUnderTest = {
  name: 'sqlite',
  async location() {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    dirs.push(dir);
    return { db: join(dir, 'policy.db') };
  },
  open: (opts = {}) => PolicyStore.open(':memory:', opts),
};

export const POSTGRES: EngineUnderTest = {
  name: 'postgres',
  skip: postgresSkip,
  async location() {
    const c = pgCluster();
    return { db: await c.createDatabase(), passwordFile: c.passwordFile };
  },
  async open(opts = {}) {
    const at = await this.location();
    return PolicyStore.open(at.db, { ...opts, passwordFile: at.passwordFile });
  },
};

export const ENGINES: readonly EngineUnderTest[] = [SQLITE, POSTGRES];
