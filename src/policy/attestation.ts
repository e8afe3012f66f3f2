import type { PolicyStore } from './store';
import { productId } from './store';
import { rowPlaceholders, type Queryable } from '../db/engine';

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

/** Reference hashes by path, as one lookup returned them (paths without any map to an empty list). */
export type ReferenceHashes = ReadonlyMap<string, readonly Buffer[]>;

/** File names looked up in one query at most (placeholders stay well under both engines' limits). */
export const LOOKUP_CHUNK = 500;

/**
 * The reference hashes of `names` files: parameters (directory, name) × names, then product and
 * algorithm. The names drive the join, each step an index lookup (directories(path, id),
 * files(dir, name, id), file_hashes_lookup), so the table's size does not matter. CROSS JOIN
 * fixes that order on SQLite (its planner, without statistics, would otherwise walk the product's
 * whole file_hashes range); PostgreSQL plans it as the inner join it is.
 */
export function referenceLookupSql(names: number): string {
  return `SELECT v.column1 AS path, v.column2 AS name, h.hash
     FROM (VALUES ${rowPlaceholders(names, 2)}) v CROSS JOIN directories d CROSS JOIN files f CROSS JOIN file_hashes h
     WHERE d.path = v.column1 AND f.dir = d.id AND f.name = v.column2 AND h.product = ? AND h.file = f.id AND h.algo = ?`;
}

/** A reference file hash row to import, as streamed to the database. */
const STAGE = {
  table: 'import_file_hashes',
  columns: [
    ['path', 'text'],
    ['name', 'text'],
    ['algo', 'integer'],
    ['hash', 'blob'],
  ],
} as const;

/** Rows staged per transaction of an import: readers and other servers never wait long for one. */
export const IMPORT_BATCH = 50_000;

export interface ImportProgress {
  /** Entries read so far. */
  readonly read: number;
  /** Of them, new reference hashes stored so far. */
  readonly added: number;
}

/**
 * What the Attestation IMV reads and writes in the policy database: reference file hashes per
 * product and the BIOS/boot-aggregate measurements registered per device (AK). Every lookup is
 * served by an index (schema.ts: directories(path, id), files(dir, name, id), file_hashes_lookup,
 * component_hashes' primary key), index-only on both engines.
 */
export class AttestationStore {
  constructor(readonly store: PolicyStore) {}

  /**
   * The reference hashes of many files of one product and algorithm: one query per LOOKUP_CHUNK
   * names (one per PA message in practice), not one per file.
   */
  async referenceHashes(productId: number, paths: Iterable<string>, algo: number): Promise<ReferenceHashes> {
    const out = new Map<string, Buffer[]>();
    for (const p of paths) out.set(p, []);
    const all = [...out.keys()];
    for (let i = 0; i < all.length; i += LOOKUP_CHUNK) {
      const chunk = all.slice(i, i + LOOKUP_CHUNK);
      const rows = await this.store.db.all<{ path: string; name: string; hash: Buffer }>(
        referenceLookupSql(chunk.length),
        ...chunk.flatMap(splitPath),
        productId,
        algo,
      );
      for (const r of rows) out.get(r.path === '/' ? `/${r.name}` : `${r.path}/${r.name}`)?.push(r.hash);
    }
    return out;
  }

  /**
   * Imports reference hashes for a product, streamed: the entries go to the database in batches
   * of IMPORT_BATCH (PostgreSQL COPY into a staging table, then one INSERT ... SELECT per table),
   * each batch its own transaction, so servers reading the same tables are never held up. Entries
   * already stored are skipped, also when another import adds them at the same time. Returns how
   * many were new.
   */
  async importFileHashes(
    product: string,
    entries: AsyncIterable<FileHashEntry> | Iterable<FileHashEntry>,
    onProgress?: (p: ImportProgress) => void,
  ): Promise<number> {
    const db = this.store.db;
    const pid = await productId(db, product);
    let read = 0;
    let added = 0;
    let batch: FileHashEntry[] = [];
    const flush = async (): Promise<void> => {
      const rows = batch;
      batch = [];
      added += await db.tx(async (q) => {
        await db.copyRows(
          q,
          STAGE,
          rows.map((e) => [...splitPath(e.path), e.algo, e.hash]),
        );
        const n = await mergeStaged(q, pid);
        await q.exec(`DROP TABLE ${STAGE.table}`);
        return n;
      });
      onProgress?.({ read, added });
    };
    for await (const e of entries) {
      batch.push(e);
      read++;
      if (batch.length >= IMPORT_BATCH) await flush();
    }
    if (batch.length > 0 || read === 0) await flush();
    return added;
  }

  /** Writes file results that are not ok (see ImaFileResults) for the device's newest policy session. */
  async recordImaFiles(deviceId: number, results: readonly ImaFileResult[]): Promise<void> {
    const rows = results.filter((r) => r.verdict !== 'ok');
    if (rows.length === 0) return;
    await this.store.db.tx(async (q) => {
      const s = await q.get<{ id: number; n: number }>(
        `SELECT s.id, (SELECT COUNT(*) FROM ima_results WHERE session = s.id) AS n
         FROM sessions s WHERE s.device = ? ORDER BY s.id DESC LIMIT 1`,
        deviceId,
      );
      if (!s) return;
      for (const r of rows.slice(0, Math.max(0, MAX_IMA_FILE_ROWS - s.n))) {
        await q.run(
          'INSERT INTO ima_results (session, path, verdict, algorithm, measurement) VALUES (?, ?, ?, ?, ?)',
          s.id,
          r.path,
          r.verdict,
          r.algorithm ?? null,
          r.measurement,
        );
      }
    });
  }

  /** The measurements registered for a device in one algorithm: component id → sequence, by sequence number. */
  async componentHashes(deviceId: number, algo: number): Promise<Map<number, ComponentHash[]>> {
    const rows = await this.store.db.all<ComponentHash & { component: number }>(
      'SELECT component, seq_no AS "seqNo", pcr, hash FROM component_hashes WHERE device = ? AND algo = ? ORDER BY component, seq_no',
      deviceId,
      algo,
    );
    const out = new Map<number, ComponentHash[]>();
    for (const { component, ...h } of rows) out.set(component, [...(out.get(component) ?? []), h]);
    return out;
  }

  /**
   * Registers a component's measurements on first contact (trust on first use), replacing nothing:
   * when two servers register the same device at once, the first sequence stays.
   */
  async registerComponentHashes(
    deviceId: number,
    component: number,
    algo: number,
    hashes: readonly ComponentHash[],
  ): Promise<void> {
    await this.store.db.tx(async (q) => {
      for (const h of hashes) {
        await q.run(
          'INSERT INTO component_hashes (device, component, seq_no, pcr, algo, hash) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
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

/** Staged rows → directories, files, file_hashes (each INSERT ... SELECT skipping what exists). Returns the new hashes. */
async function mergeStaged(q: Queryable, product: number): Promise<number> {
  const t = STAGE.table;
  await q.run(
    `INSERT INTO directories (path) SELECT DISTINCT path FROM ${t} WHERE true ORDER BY path ON CONFLICT (path) DO NOTHING`,
  );
  await q.run(
    `INSERT INTO files (dir, name) SELECT DISTINCT d.id, s.name FROM ${t} s JOIN directories d ON d.path = s.path
     WHERE true ORDER BY d.id, s.name ON CONFLICT (dir, name) DO NOTHING`,
  );
  const { changes } = await q.run(
    `INSERT INTO file_hashes (file, product, algo, hash)
     SELECT DISTINCT f.id, CAST(? AS BIGINT), s.algo, s.hash FROM ${t} s JOIN directories d ON d.path = s.path
     JOIN files f ON f.dir = d.id AND f.name = s.name WHERE true ORDER BY f.id
     ON CONFLICT (product, file, algo, hash) DO NOTHING`,
    product,
  );
  return changes;
}

/**
 * The policy database as one attestation sees it, synchronously: the checker of a PA message's
 * evidence (src/imvs/attestation/evidence.ts) reads what the IMV loaded before the message (the
 * reference hashes of the files it names, in one lookup; the device's registered measurements),
 * and its writes are kept until `flush`, which the IMV awaits at the end of the message.
 */
export class AttestationView {
  /** This message's reference hashes and the previous one's (an entry's template data may follow in the next message). */
  private references: ReferenceHashes[] = [];
  private loaded?: { productId: number; algo: number };
  private registered?: { deviceId: number; algo: number; hashes: Map<number, ComponentHash[]> };
  private files: { deviceId: number; r: ImaFileResult }[] = [];
  private registrations: { deviceId: number; component: number; algo: number; hashes: readonly ComponentHash[] }[] = [];

  constructor(readonly store: AttestationStore) {}

  /** Loads the reference hashes of the files a PA message names (one lookup per LOOKUP_CHUNK names). */
  async loadReferences(productId: number, algo: number, paths: Iterable<string>): Promise<void> {
    const refs = await this.store.referenceHashes(productId, paths, algo);
    const same = this.loaded?.productId === productId && this.loaded.algo === algo;
    this.references = same ? [refs, ...this.references.slice(0, 1)] : [refs];
    this.loaded = { productId, algo };
  }

  /** Loads the measurements registered for the attested device (AK) in one algorithm. */
  async loadRegistered(deviceId: number, algo: number): Promise<void> {
    this.registered = { deviceId, algo, hashes: await this.store.componentHashes(deviceId, algo) };
  }

  /** Reference hashes of one file; a file whose PA message was not loaded is an error of the caller. */
  referenceHashes(productId: number, path: string, algo: number): readonly Buffer[] {
    const ok = this.loaded?.productId === productId && this.loaded.algo === algo;
    const refs = ok ? this.references.map((m) => m.get(path)).find((r) => r !== undefined) : undefined;
    if (refs === undefined) throw new Error(`reference hashes of '${path}' were not loaded with its PA message`);
    return refs;
  }

  componentId(vendor: number, name: number, qualifier: number): number | undefined {
    return this.store.store.componentId(vendor, name, qualifier);
  }

  /** The measurements registered for a device's component in one algorithm, by sequence number. */
  componentHashes(deviceId: number, component: number, algo: number): ComponentHash[] {
    const r = this.registered;
    if (r?.deviceId !== deviceId || r.algo !== algo)
      throw new Error(`registered measurements of device ${deviceId} were not loaded`);
    return r.hashes.get(component) ?? [];
  }

  /**
   * Keeps a file result that is not ok for the device's newest policy session (the one attesting), for
   * the dashboard's differ list; ok results are only counted in the workitem's result text. At most
   * MAX_IMA_FILE_ROWS per session: the endpoint decides how many files it reports.
   */
  recordImaFile(deviceId: number, r: ImaFileResult): void {
    if (r.verdict !== 'ok') this.files.push({ deviceId, r });
  }

  /** Registers a component's measurements on first contact (trust on first use), written at `flush`. */
  registerComponentHashes(deviceId: number, component: number, algo: number, hashes: readonly ComponentHash[]): void {
    this.registrations.push({ deviceId, component, algo, hashes });
  }

  /** Writes what the message's evidence recorded. */
  async flush(): Promise<void> {
    const files = this.files.splice(0);
    const registrations = this.registrations.splice(0);
    for (const r of registrations) await this.store.registerComponentHashes(r.deviceId, r.component, r.algo, r.hashes);
    const byDevice = new Map<number, ImaFileResult[]>();
    for (const { deviceId, r } of files) byDevice.set(deviceId, [...(byDevice.get(deviceId) ?? []), r]);
    for (const [deviceId, results] of byDevice) await this.store.recordImaFiles(deviceId, results);
  }
}
