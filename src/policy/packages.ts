import type { Db, Queryable } from '../db/engine';
import { compareDebianVersions, parseDebianVersion } from './debian-version';
import { productId, type PolicyStore } from './store';

/** One package version of a distribution's security suite. */
export interface SecurityVersion {
  readonly name: string;
  readonly version: string;
}

export interface SecurityImport {
  /** Packages whose security version was stored for the first time. */
  readonly added: number;
  /** Packages whose stored security version was replaced by a newer one. */
  readonly updated: number;
  /** Packages whose stored security version was already this one or newer. */
  readonly unchanged: number;
}

/**
 * The package database the OS IMV judges installed versions against (strongSwan's sec-updater fills
 * the same tables): per product, the newest version of each package that a security update shipped,
 * as a `versions` row with security = 1. An endpoint's version below it is vulnerable.
 */
export class PackageStore {
  private readonly db: Db;

  constructor(readonly store: PolicyStore) {
    this.db = store.db;
  }

  /**
   * Stores each package's newest security version for `product` in one transaction, keeping a stored
   * version that is newer. Versions must be Debian versions (the caller parsed them).
   */
  importSecurityVersions(
    product: string,
    versions: Iterable<SecurityVersion>,
    now = Math.floor(Date.now() / 1000),
  ): Promise<SecurityImport> {
    const newest = newestByName(versions);
    return this.db.tx(async (q) => {
      const pid = await productId(q, product);
      const stored = await securityVersionsOf(q, pid);
      let added = 0;
      let updated = 0;
      for (const [name, version] of newest) {
        const old = stored.get(name);
        if (old !== undefined && compareDebianVersions(parseDebianVersion(old), parseDebianVersion(version)) >= 0)
          continue;
        await q.run('INSERT INTO packages (name) VALUES (?) ON CONFLICT (name) DO NOTHING', name);
        const pkg = (await q.get<{ id: number }>('SELECT id FROM packages WHERE name = ?', name))!.id;
        await q.run('DELETE FROM versions WHERE product = ? AND package = ? AND security = 1', pid, pkg);
        await q.run(
          `INSERT INTO versions (product, package, release, security, time) VALUES (?, ?, ?, 1, ?)
           ON CONFLICT (product, package, release) DO UPDATE SET security = 1, time = excluded.time`,
          pid,
          pkg,
          version,
          now,
        );
        if (old === undefined) added++;
        else updated++;
      }
      return { added, updated, unchanged: newest.size - added - updated };
    });
  }

  /** Package name → newest security version, for a product by name (empty for an unknown product). */
  async securityVersions(product: string): Promise<Map<string, string>> {
    const row = await this.db.get<{ id: number }>('SELECT id FROM products WHERE name = ?', product);
    return row ? securityVersionsOf(this.db, row.id) : new Map();
  }

  /** Names of the blocklisted packages. */
  async blocklisted(): Promise<Set<string>> {
    const rows = await this.db.all<{ name: string }>('SELECT name FROM packages WHERE blocklisted = 1');
    return new Set(rows.map((r) => r.name));
  }
}

async function securityVersionsOf(q: Queryable, productId: number): Promise<Map<string, string>> {
  const rows = await q.all<{ name: string; release: string }>(
    'SELECT p.name, v.release FROM versions v JOIN packages p ON p.id = v.package WHERE v.product = ? AND v.security = 1',
    productId,
  );
  return new Map(rows.map((r) => [r.name, r.release]));
}

/** The newest version of each name (a suite may list a package once per architecture). */
function newestByName(versions: Iterable<SecurityVersion>): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of versions) {
    const seen = out.get(v.name);
    if (seen === undefined || compareDebianVersions(parseDebianVersion(seen), parseDebianVersion(v.version)) < 0)
      out.set(v.name, v.version);
  }
  return out;
}
