import type { PolicyStore } from './store';
import type { Sql } from '../db/sql';

/** One reference file hash to import: absolute path, PTS algorithm bit (PTS 3.9.1), raw digest. */
export interface FileHashEntry {
  readonly path: string;
  readonly algo: number;
  readonly hash: Buffer;
}

/** One registered measurement of a functional component (strongSwan's component_hashes row). */
export interface ComponentHash {
  readonly seqNo: number;
  readonly pcr: number;
  readonly hash: Buffer;
}

/** One IMA file measurement as the Attestation IMV judged it (ima-lookup.ts FileVerdict). */
export interface ImaFileResult {
  readonly path: string;
  readonly verdict: 'ok' | 'unknown' | 'differ' | 'failed';
  /** Kernel hash name of the file digest (ima-ng), undefined for the legacy template. */
  readonly algorithm?: string;
  /** The measurement as received (the IMA template hash), untrusted until the quote is verified. */
  readonly measurement: Buffer;
}

/** File results kept per session for the dashboard; the result text counts them all. */
export const MAX_IMA_FILE_ROWS = 1000;

/** `/usr/bin/ls` → [`/usr/bin`, `ls`]; `/init` → [`/`, `init`]. */
export function splitPath(path: string): [string, string] {
  const slash = path.lastIndexOf('/');
  if (slash <= 0) return ['/', path.slice(slash + 1)];
  return [path.slice(0, slash), path.slice(slash + 1)];
}

/**
 * What the Attestation IMV reads and writes in the policy database: reference file hashes per
 * product and the BIOS/boot-aggregate measurements registered per device (AK). Every lookup is
 * served by an index (schema.ts: directories.path, files(dir,name), file_hashes_lookup,
 * component_hashes' primary key).
 */
export class AttestationStore {
  private readonly sql: Sql;
  private readonly pendingFiles: { deviceId: number; r: ImaFileResult }[] = [];

  constructor(readonly store: PolicyStore) {
    // PolicyStore keeps its statement cache private; this store shares it (one connection, one cache)
    this.sql = store.sql;
  }

  /** Reference hashes of one file for a product and algorithm (raw digests). */
  referenceHashes(productId: number, path: string, algo: number): Buffer[] {
    const [dir, name] = splitPath(path);
    return this.sql
      .all<{ hash: Buffer }>(
        `SELECT h.hash FROM directories d JOIN files f ON f.dir = d.id
         JOIN file_hashes h ON h.file = f.id AND h.product = ? AND h.algo = ?
         WHERE d.path = ? AND f.name = ?`,
        productId,
        algo,
        dir,
        name,
      )
      .map((r) => r.hash);
  }

  /** Imports reference hashes for a product in one transaction; duplicates are ignored. Returns how many were new. */
  importFileHashes(product: string, entries: Iterable<FileHashEntry>, onProgress?: (done: number) => void): number {
    const productId = this.store.getOrCreateProduct(product);
    return this.sql.tx(() => {
      let added = 0;
      let done = 0;
      for (const e of entries) {
        added += this.insertHash(productId, e);
        if (++done % 1000 === 0) onProgress?.(done);
      }
      return added;
    });
  }

  private insertHash(productId: number, e: FileHashEntry): number {
    const [dir, name] = splitPath(e.path);
    this.sql.run('INSERT INTO directories (path) VALUES (?) ON CONFLICT (path) DO NOTHING', dir);
    const dirId = this.sql.get<{ id: number }>('SELECT id FROM directories WHERE path = ?', dir)!.id;
    this.sql.run('INSERT INTO files (dir, name) VALUES (?, ?) ON CONFLICT (dir, name) DO NOTHING', dirId, name);
    const fileId = this.sql.get<{ id: number }>('SELECT id FROM files WHERE dir = ? AND name = ?', dirId, name)!.id;
    return this.sql.run(
      'INSERT OR IGNORE INTO file_hashes (file, product, algo, hash) VALUES (?, ?, ?, ?)',
      fileId,
      productId,
      e.algo,
      e.hash,
    ).changes;
  }

  /**
   * Keeps a file result that is not ok for the device's newest policy session (the one attesting), for
   * the dashboard's differ list; ok results are only counted in the workitem's result text. Rows are
   * written together once the evidence message in hand is processed (one transaction, not one per
   * file), at most MAX_IMA_FILE_ROWS per session: the endpoint decides how many files it reports.
   */
  recordImaFile(deviceId: number, r: ImaFileResult): void {
    if (r.verdict === 'ok') return;
    if (this.pendingFiles.push({ deviceId, r }) === 1) setImmediate(() => this.flushImaFiles());
  }

  /** Writes the file results recorded so far (recordImaFile schedules this itself). */
  flushImaFiles(): void {
    const rows = this.pendingFiles.splice(0);
    if (rows.length === 0) return;
    try {
      this.sql.tx(() => {
        for (const { deviceId, r } of rows) {
          this.sql.run(
            `INSERT INTO ima_results (session, path, verdict, algorithm, measurement)
             SELECT s.id, ?, ?, ?, ? FROM (SELECT id FROM sessions WHERE device = ? ORDER BY id DESC LIMIT 1) s
             WHERE (SELECT COUNT(*) FROM ima_results WHERE session = s.id) < ?`,
            r.path,
            r.verdict,
            r.algorithm ?? null,
            r.measurement,
            deviceId,
            MAX_IMA_FILE_ROWS,
          );
        }
      });
    } catch {
      // the database was closed under us (server stopping): these rows are only for display
    }
  }

  /** components.id of a functional component (schema.ts V1 seeds the ITA-HSR ones). */
  componentId(vendor: number, name: number, qualifier: number): number | undefined {
    return this.sql.get<{ id: number }>(
      'SELECT id FROM components WHERE vendor_id = ? AND name = ? AND qualifier = ?',
      vendor,
      name,
      qualifier,
    )?.id;
  }

  /** The measurements registered for a device's component in one algorithm, by sequence number. */
  componentHashes(deviceId: number, component: number, algo: number): ComponentHash[] {
    return this.sql.all<ComponentHash>(
      'SELECT seq_no AS seqNo, pcr, hash FROM component_hashes WHERE device = ? AND component = ? AND algo = ? ORDER BY seq_no',
      deviceId,
      component,
      algo,
    );
  }

  /** Registers a component's measurements on first contact (trust on first use), replacing nothing. */
  registerComponentHashes(deviceId: number, component: number, algo: number, hashes: readonly ComponentHash[]): void {
    this.sql.tx(() => {
      for (const h of hashes) {
        this.sql.run(
          'INSERT OR IGNORE INTO component_hashes (device, component, seq_no, pcr, algo, hash) VALUES (?, ?, ?, ?, ?, ?)',
          deviceId,
          component,
          h.seqNo,
          h.pcr,
          algo,
          h.hash,
        );
      }
    });
  }
}
