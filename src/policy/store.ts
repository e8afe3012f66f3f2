import { openDatabase } from '../db/open';
import { Recommendation } from '../tnccs/types';
import * as manager from './manager';
import { migrate, PolicyStoreError } from './schema';
import { Sql } from '../db/sql';
import { WorkitemType, workitemTypeName } from './workitem-types';
import { finishHandshake, HandshakeEnd, HandshakeStart, insertHandshake } from './handshakes';

export interface PolicyStoreOptions {
  /** Unix seconds; injectable so max_age decisions are testable. */
  readonly now?: () => number;
}

export interface DeviceInfo {
  readonly id: number;
  /** The Device ID (hex AIK keyid or ITA-HSR Device ID). */
  readonly value: string;
  readonly product: string | null;
  readonly trusted: boolean;
  readonly created: number;
  readonly description: string;
}

export interface SessionInfo {
  readonly id: number;
  readonly time: number;
  readonly connection: number;
  readonly identity: string | null;
  readonly device: string | null;
  readonly product: string | null;
  readonly rec: Recommendation;
}

export interface ResultInfo {
  readonly session: number;
  readonly time: number;
  readonly device: string | null;
  readonly policy: string;
  readonly type: WorkitemType;
  readonly rec: Recommendation;
  readonly result: string;
}

export interface EnforcementOptions {
  /** Policy name (unique); default "<TYPE> <argument>". */
  readonly name?: string;
  /** Group the policy is enforced on; default "Default" (every device). */
  readonly group?: string;
  readonly recFail?: Recommendation;
  readonly recNoResult?: Recommendation;
  /** Seconds an ALLOW result stays valid, skipping the workitem; 0 = always measure. */
  readonly maxAge?: number;
}

const DEVICE_SELECT = `SELECT d.id, d.value, p.name AS product, d.trusted, d.created, d.description
  FROM devices d LEFT JOIN products p ON p.id = d.product`;

type DeviceRow = Omit<DeviceInfo, 'trusted'> & { trusted: number };
const toDevice = (r: DeviceRow): DeviceInfo => ({ ...r, trusted: r.trusted !== 0 });

/**
 * The lab server's policy database (SQLite, WAL): products, devices, sessions, policies and their enforcement,
 * workitems and archived results, plus the evidence tables later IMVs fill. Synchronous; one instance per file.
 */
export class PolicyStore {
  /** The connection, for the IMV-specific accessors beside this file (swima.ts, attestation.ts). */
  readonly sql: Sql;
  private readonly now: () => number;
  readonly schemaVersion: number;
  /** Handshakes under way: TNCCS connection ID → handshakes.id, so their policy sessions link to them. */
  private readonly openHandshakes = new Map<number, number>();

  /** Opens (creating and migrating) the database at `path`; ':memory:' for tests. */
  constructor(path: string, opts: PolicyStoreOptions = {}) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    // 0600: the policy database holds device identities and their verdicts
    const { db, version } = openDatabase(path, 'policy database', 0o600, (db) => {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      return { db, version: migrate(db, undefined, this.now()) };
    });
    this.schemaVersion = version;
    this.sql = new Sql(db);
  }

  close(): void {
    this.sql.db.close();
  }

  getOrCreateProduct(name: string): number {
    this.sql.run('INSERT INTO products (name) VALUES (?) ON CONFLICT (name) DO NOTHING', name);
    return this.sql.get<{ id: number }>('SELECT id FROM products WHERE name = ?', name)!.id;
  }

  /** Finds or adds the device; a known product name replaces the stored one (the OS was upgraded). */
  getOrCreateDevice(value: string, product?: string): DeviceInfo {
    const productId = product === undefined ? null : this.getOrCreateProduct(product);
    this.sql.run(
      `INSERT INTO devices (value, product, created) VALUES (?, ?, ?)
       ON CONFLICT (value) DO UPDATE SET product = COALESCE(excluded.product, product)`,
      value,
      productId,
      this.now(),
    );
    return this.findDevice(value)!;
  }

  findDevice(value: string): DeviceInfo | undefined {
    const row = this.sql.get<DeviceRow>(`${DEVICE_SELECT} WHERE d.value = ?`, value);
    return row && toDevice(row);
  }

  /** Marks a device (its AIK keyid) trusted or not; adds it when unknown, so labs can seed before first contact. */
  setTrusted(deviceValue: string, trusted: boolean): void {
    const { id } = this.getOrCreateDevice(deviceValue);
    this.sql.run('UPDATE devices SET trusted = ? WHERE id = ?', trusted ? 1 : 0, id);
  }

  /** Opens a session for a TNCCS connection; the caller logs "assigned session ID <id> to Connection ID <c>". */
  startSession(connectionId: number, identity: string | null, deviceValue?: string, productName?: string): number {
    return this.sql.tx(() => {
      const device = deviceValue === undefined ? null : this.getOrCreateDevice(deviceValue, productName).id;
      // without a product name the session takes the one stored for the device
      const product =
        productName !== undefined
          ? this.getOrCreateProduct(productName)
          : device === null
            ? null
            : this.sql.get<{ product: number | null }>('SELECT product FROM devices WHERE id = ?', device)!.product;
      return this.sql.run(
        'INSERT INTO sessions (time, connection, identity, device, product, handshake) VALUES (?, ?, ?, ?, ?, ?)',
        this.now(),
        connectionId,
        identity,
        device,
        product,
        this.openHandshakes.get(connectionId) ?? null,
      ).lastInsertRowid;
    });
  }

  /** A PB-TNC handshake began on `h.connection`; the policy sessions started on it until it ends link to it. */
  beginHandshake(h: HandshakeStart): number {
    const id = insertHandshake(this.sql, h);
    this.openHandshakes.set(h.connection, id);
    return id;
  }

  /** The handshake on `connection` ended: its duration, merged verdict and each IMV's verdict. */
  endHandshake(connection: number, end: HandshakeEnd): void {
    const id = this.openHandshakes.get(connection);
    if (id === undefined) return;
    this.openHandshakes.delete(connection);
    finishHandshake(this.sql, id, end);
  }

  /** Policy manager start (src/policy/manager.ts). */
  createWorkitems(sessionId: number): manager.Workitem[] {
    return manager.createWorkitems(this.sql, sessionId, this.now());
  }

  listWorkitems(sessionId: number, type?: WorkitemType): manager.Workitem[] {
    return manager.listWorkitems(this.sql, sessionId, type);
  }

  setWorkitemResult(id: number, recFinal: Recommendation, result: string): void {
    manager.setWorkitemResult(this.sql, id, recFinal, result);
  }

  /** Policy manager stop (src/policy/manager.ts); `rec` is the session's final recommendation if the caller has it. */
  stopSession(sessionId: number, rec?: Recommendation): Recommendation {
    return manager.stopSession(this.sql, sessionId, rec);
  }

  addGroup(name: string, parent?: string): number {
    const parentId = parent === undefined ? null : this.groupId(parent);
    return this.sql.run('INSERT INTO groups (name, parent) VALUES (?, ?)', name, parentId).lastInsertRowid;
  }

  addDeviceToGroup(deviceValue: string, group: string): void {
    const { id } = this.getOrCreateDevice(deviceValue);
    this.sql.run('INSERT OR IGNORE INTO groups_members (group_id, device_id) VALUES (?, ?)', this.groupId(group), id);
  }

  /** New devices of this product join `group` instead of "Default". */
  setProductDefaultGroup(productName: string, group: string): void {
    this.sql.run(
      'INSERT OR IGNORE INTO groups_product_defaults (group_id, product_id) VALUES (?, ?)',
      this.groupId(group),
      this.getOrCreateProduct(productName),
    );
  }

  /** Lab seeding: a policy of `type` with `argument`, enforced on a group. Returns the enforcement ID. */
  addEnforcement(type: WorkitemType, argument: string, opts: EnforcementOptions = {}): number {
    return this.sql.tx(() => {
      const name = opts.name ?? `${workitemTypeName(type)} ${argument}`.trim();
      this.sql.run(
        'INSERT INTO policies (type, name, argument, rec_fail, rec_noresult) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
        type,
        name,
        argument,
        opts.recFail ?? Recommendation.NO_ACCESS,
        opts.recNoResult ?? Recommendation.NO_RECOMMENDATION,
      );
      const policy = this.sql.get<{ id: number }>('SELECT id FROM policies WHERE name = ?', name)!.id;
      return this.sql.run(
        'INSERT INTO enforcements (policy, group_id, rec_fail, rec_noresult, max_age) VALUES (?, ?, ?, ?, ?)',
        policy,
        this.groupId(opts.group ?? 'Default'),
        opts.recFail ?? null,
        opts.recNoResult ?? null,
        opts.maxAge ?? 0,
      ).lastInsertRowid;
    });
  }

  /** Lab seeding for the PCKGS workitem: marks a package name blocklisted (or clears it). */
  setPackageBlocklisted(name: string, blocklisted: boolean): void {
    this.sql.run(
      'INSERT INTO packages (name, blocklisted) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET blocklisted = excluded.blocklisted',
      name,
      blocklisted ? 1 : 0,
    );
  }

  isPackageBlocklisted(name: string): boolean {
    return (
      this.sql.get<{ blocklisted: number }>('SELECT blocklisted FROM packages WHERE name = ?', name)?.blocklisted === 1
    );
  }

  /** Stores one SWIMA event the device reported (RFC 8412 EID within an epoch); duplicates are ignored. */
  recordSwEvent(deviceValue: string, epoch: number, eid: number, timestamp: string): void {
    const { id } = this.getOrCreateDevice(deviceValue);
    this.sql.run(
      'INSERT OR IGNORE INTO sw_events (device, epoch, eid, timestamp) VALUES (?, ?, ?, ?)',
      id,
      epoch,
      eid,
      timestamp,
    );
  }

  /** Newest first. */
  listSessions(limit = 100): SessionInfo[] {
    return this.sql.all<SessionInfo>(
      `SELECT s.id, s.time, s.connection, s.identity, d.value AS device, p.name AS product, s.rec
       FROM sessions s LEFT JOIN devices d ON d.id = s.device LEFT JOIN products p ON p.id = s.product
       ORDER BY s.id DESC LIMIT ?`,
      limit,
    );
  }

  listDevices(): DeviceInfo[] {
    return this.sql.all<DeviceRow>(`${DEVICE_SELECT} ORDER BY d.id`).map(toDevice);
  }

  /** Archived workitem results, of one session or of all. */
  listResults(sessionId?: number): ResultInfo[] {
    return this.sql.all<ResultInfo>(
      `SELECT r.session, s.time, d.value AS device, p.name AS policy, p.type, r.rec, r.result
       FROM results r JOIN sessions s ON s.id = r.session JOIN policies p ON p.id = r.policy
       LEFT JOIN devices d ON d.id = s.device WHERE ? IS NULL OR r.session = ? ORDER BY r.id`,
      sessionId ?? null,
      sessionId ?? null,
    );
  }

  private groupId(name: string): number {
    const row = this.sql.get<{ id: number }>('SELECT id FROM groups WHERE name = ?', name);
    if (!row) throw new PolicyStoreError(`no group '${name}'`);
    return row.id;
  }
}
