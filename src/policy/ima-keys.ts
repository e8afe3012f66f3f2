import { createPublicKey } from 'node:crypto';
import type { ImaKeyring, ImaSigningKey } from '../measurements/ima/signature';
import type { Sql } from '../db/sql';
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
  certificate: Buffer | null;
  subject: string | null;
  not_after: string | null;
  source: string;
  added: number;
}

/** The IMA signing keys in the policy database (schema v4 `ima_keys`), by their public key. */
export class ImaKeyStore {
  private readonly sql: Sql;

  constructor(
    store: PolicyStore,
    private readonly now = () => Math.floor(Date.now() / 1000),
  ) {
    this.sql = store.sql;
  }

  /** Stores a key unless the same public key is stored; true when it was new. */
  add(key: ImaSigningKey, source: string): boolean {
    const spki = key.key.export({ type: 'spki', format: 'der' });
    const c = key.certificate;
    const r = this.sql.run(
      `INSERT INTO ima_keys (key_id, spki, certificate, subject, not_after, source, added)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (spki) DO NOTHING`,
      key.keyId,
      spki,
      c?.raw ?? null,
      c?.subject ?? null,
      c?.validTo ?? null,
      source,
      this.now(),
    );
    return r.changes > 0;
  }

  list(): ImaKeyInfo[] {
    return this.rows().map((r) => ({
      keyId: r.key_id,
      type: createPublicKey({ key: r.spki, format: 'der', type: 'spki' }).asymmetricKeyType ?? 'unknown',
      subject: r.subject,
      notAfter: r.not_after,
      source: r.source,
      added: r.added,
    }));
  }

  /** The stored keys by key id, for the Attestation IMV. */
  keyring(): ImaKeyring {
    return new Map(this.rows().map((r) => [r.key_id, createPublicKey({ key: r.spki, format: 'der', type: 'spki' })]));
  }

  private rows(): Row[] {
    return this.sql.all<Row>(
      'SELECT key_id, spki, certificate, subject, not_after, source, added FROM ima_keys ORDER BY id',
    );
  }
}
