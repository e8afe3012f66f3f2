import { createPublicKey } from 'node:crypto';
import type { ImaKeyring, ImaSigningKey } from '../measurements/ima/signature';
import type { Queryable } from '../db/engine';
import type { PolicyStore } from './store';

/** One stored IMA signing key as `db list ima-keys` shows it. */
export interface ImaKeyInfo {
  readonly keyId: string;
  readonly type: string;
  readonly subject: string | null;
  readonly notAfter: string | null;
  /** The file it was imported from. */
  readonly source: string;
  readonly added: number;
}

interface Row {
  key_id: string;
  spki: Buffer;
  subject: string | null;
  not_after: string | null;
  source: string;
  added: number | string;
}

/** The IMA signing keys in the policy database (schema v5 `ima_keys`), by their public key. */
export class ImaKeyStore {
  constructor(
    private readonly store: PolicyStore,
    private readonly now = () => Math.floor(Date.now() / 1000),
  ) {}

  /** Stores keys unless the same public key is stored, all in one transaction; per key, true when it was new. */
  async add(keys: readonly { key: ImaSigningKey; source: string }[]): Promise<boolean[]> {
    return this.store.db.tx(async (q) => {
      const added: boolean[] = [];
      for (const { key, source } of keys) added.push(await this.insert(q, key, source));
      return added;
    });
  }

  private async insert(q: Queryable, key: ImaSigningKey, source: string): Promise<boolean> {
    const c = key.certificate;
    const r = await q.run(
      `INSERT INTO ima_keys (key_id, spki, certificate, subject, not_after, source, added)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (spki) DO NOTHING`,
      key.keyId,
      key.key.export({ type: 'spki', format: 'der' }),
      c?.raw ?? null,
      c?.subject ?? null,
      c?.validTo ?? null,
      source,
      this.now(),
    );
    return r.changes > 0;
  }

  async list(): Promise<ImaKeyInfo[]> {
    return (await this.rows()).map((r) => ({
      keyId: r.key_id,
      type: createPublicKey({ key: r.spki, format: 'der', type: 'spki' }).asymmetricKeyType ?? 'unknown',
      subject: r.subject,
      notAfter: r.not_after,
      source: r.source,
      added: Number(r.added),
    }));
  }

  /** The stored keys by key id, for the Attestation IMV. */
  async keyring(): Promise<ImaKeyring> {
    const rows = await this.rows();
    return new Map(rows.map((r) => [r.key_id, createPublicKey({ key: r.spki, format: 'der', type: 'spki' })]));
  }

  private rows(): Promise<Row[]> {
    return this.store.db.all<Row>('SELECT key_id, spki, subject, not_after, source, added FROM ima_keys ORDER BY id');
  }
}
