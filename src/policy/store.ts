import { Recommendation } from '../tnccs/types';
import * as manager from './manager';
import { migrate, PolicyStoreError } from './schema';
import type { Db, Queryable } from '../db/engine';
import { openDb, type OpenDbOptions } from '../db/open-db';
import { WorkitemType, workitemTypeName } from './workitem-types';
import { finishHandshake, HandshakeEnd, HandshakeStart, insertHandshake } from './handshakes';

export interface PolicyStoreOptions extends OpenDbOptions {
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

/** A started policy session: its id, and the device and product rows it is bound to. */
export interface SessionStart {
  readonly id: number;
  readonly device: number | null;
  readonly product: number | null;
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

/** The product's id, adding it when new (concurrent adders on other servers get the same row). */
export async function productId(q: Queryable, name: string): Promise<number> {
  const added = await q.get<{ id: number }>(
    'INSERT INTO products (name) VALUES (?) ON CONFLICT (name) DO NOTHING RETURNING id',
    name,
  );
  return added?.id ?? (await q.get<{ id: number }>('SELECT id FROM products WHERE name = ?', name))!.id;
}

/**
 * Finds or adds the device in one statement: two servers seeing the same new device at once both
 * get the one row (devices.value is unique; the loser of the insert updates the winner's row).
 * A known product replaces the stored one (the OS was upgraded).
 */
export async function deviceRow(q: Queryable, value: string, product: number | null, now: number): Promise<number> {
  return (await q.get<{ id: number }>(
    `INSERT INTO devices (value, product, created) VALUES (?, ?, ?)
     ON CONFLICT (value) DO UPDATE SET product = COALESCE(excluded.product, devices.product) RETURNING id`,
    value,
    product,
    now,
  ))!.id;
}

/**
 * The policy database of the server's IMVs: products, devices, sessions, policies and their
 * enforcement, workitems and archived results, plus the evidence tables the IMVs fill. On SQLite
 * (a file, the default) or PostgreSQL (`postgres://`, shared by several servers); every call is
 * asynchronous and safe to make from several servers at once on PostgreSQL. Open with `PolicyStore.open`.
 */
export class PolicyStore {
  /** Handshakes under way: TNCCS connection ID → handshakes.id, so their policy sessions link to them. */
  private readonly openHandshakes = new Map<number, Promise<number>>();
  /** Writes the IMVs started without waiting (workitem results, session stops): close() waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** components (vendor/name/qualifier → id): seeded by the migrations, never changed at run time. */
  private components = new Map<string, number>();

  private constructor(
    /** The database, for the accessors beside this file (swima.ts, attestation.ts, packages.ts). */
    readonly db: Db,
    readonly schemaVersion: number,
    private readonly now: () => number,
  ) {}

  /** Opens (creating and migrating) the policy database: an SQLite file (':memory:' for tests) or a postgres:// URL. */
  static async open(location: string, opts: PolicyStoreOptions = {}): Promise<PolicyStore> {
    const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    const db = openDb(location, opts);
    try {
      const store = new PolicyStore(db, await migrate(db, undefined, now()), now);
      const rows = await db.all<{ id: number; vendor_id: number; name: number; qualifier: number }>(
        'SELECT id, vendor_id, name, qualifier FROM components',
      );
      store.components = new Map(rows.map((r) => [`${r.vendor_id}/${r.name}/${r.qualifier}`, r.id]));
      return store;
    } catch (e) {
      await db.close().catch(() => undefined);
      const err = e instanceof Error ? e : new Error(String(e));
      if (!err.message.includes(db.description)) err.message = `policy database '${db.description}': ${err.message}`;
      throw err;
    }
  }

  /** Waits for the writes under way, then closes the connection(s). */
  async close(): Promise<void> {
    await this.settled();
    await this.db.close();
  }

  /** Resolves once every write started with `track` has ended. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Keeps a write that nobody awaits until close(). */
  track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = (): void => void this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /** components.id of a functional component (the migrations seed the ITA-HSR ones). */
  componentId(vendor: number, name: number, qualifier: number): number | undefined {
    return this.components.get(`${vendor}/${name}/${qualifier}`);
  }

  getOrCreateProduct(name: string): Promise<number> {
    return productId(this.db, name);
  }

  /** Finds or adds the device; a known product name replaces the stored one (the OS was upgraded). */
  async getOrCreateDevice(value: string, product?: string): Promise<DeviceInfo> {
    const productRow = product === undefined ? null : await productId(this.db, product);
    await deviceRow(this.db, value, productRow, this.now());
    return (await this.findDevice(value))!;
  }

  async findDevice(value: string): Promise<DeviceInfo | undefined> {
    const row = await this.db.get<DeviceRow>(`${DEVICE_SELECT} WHERE d.value = ?`, value);
    return row && toDevice(row);
  }

  /** Marks a device (its AIK keyid) trusted or not; adds it when unknown, so labs can seed before first contact. */
  async setTrusted(deviceValue: string, trusted: boolean): Promise<void> {
    const id = await deviceRow(this.db, deviceValue, null, this.now());
    await this.db.run('UPDATE devices SET trusted = ? WHERE id = ?', trusted ? 1 : 0, id);
  }

  /**
   * Opens a session for a TNCCS connection; the caller logs "assigned session ID <id> to Connection ID <c>".
   * The device is registered on first contact in the same transaction; the id comes from the
   * database (a sequence on PostgreSQL), unique across servers.
   */
  async startSession(
    connectionId: number,
    identity: string | null,
    deviceValue?: string,
    productName?: string,
  ): Promise<SessionStart> {
    const handshake = (await this.openHandshakes.get(connectionId)?.catch(() => undefined)) ?? null;
    return this.db.tx(async (q) => {
      const named = productName === undefined ? null : await productId(q, productName);
      const device = deviceValue === undefined ? null : await deviceRow(q, deviceValue, named, this.now());
      // without a product name the session takes the one stored for the device
      const product =
        named ??
        (device === null
          ? null
          : (await q.get<{ product: number | null }>('SELECT product FROM devices WHERE id = ?', device))!.product);
      const { id } = (await q.get<{ id: number }>(
        'INSERT INTO sessions (time, connection, identity, device, product, handshake) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
        this.now(),
        connectionId,
        identity,
        device,
        product,
        handshake,
      ))!;
      return { id, device, product };
    });
  }

  /** A PB-TNC handshake began on `h.connection`; the policy sessions started on it until it ends link to it. */
  beginHandshake(h: HandshakeStart): Promise<number> {
    const id = this.track(insertHandshake(this.db, h));
    this.openHandshakes.set(h.connection, id);
    return id;
  }

  /** The handshake on `connection` ended: its duration, merged verdict and each IMV's verdict. */
  async endHandshake(connection: number, end: HandshakeEnd): Promise<void> {
    const id = this.openHandshakes.get(connection);
    if (id === undefined) return;
    this.openHandshakes.delete(connection);
    await this.track(id.then((h) => finishHandshake(this.db, h, end)));
  }

  /** Policy manager start (src/policy/manager.ts). */
  createWorkitems(sessionId: number): Promise<manager.Workitem[]> {
    return manager.createWorkitems(this.db, sessionId, this.now());
  }

  listWorkitems(sessionId: number, type?: WorkitemType): Promise<manager.Workitem[]> {
    return manager.listWorkitems(this.db, sessionId, type);
  }

  setWorkitemResult(id: number, recFinal: Recommendation, result: string): Promise<void> {
    return manager.setWorkitemResult(this.db, id, recFinal, result);
  }

  /** Policy manager stop (src/policy/manager.ts); `rec` is the session's final recommendation if the caller has it. */
  stopSession(sessionId: number, rec?: Recommendation): Promise<Recommendation> {
    return manager.stopSession(this.db, sessionId, rec);
  }

  async addGroup(name: string, parent?: string): Promise<number> {
    const parentId = parent === undefined ? null : await this.groupId(parent);
    return (await this.db.get<{ id: number }>(
      'INSERT INTO groups (name, parent) VALUES (?, ?) RETURNING id',
      name,
      parentId,
    ))!.id;
  }

  async addDeviceToGroup(deviceValue: string, group: string): Promise<void> {
    const id = await deviceRow(this.db, deviceValue, null, this.now());
    await this.db.run(
      'INSERT INTO groups_members (group_id, device_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
      await this.groupId(group),
      id,
    );
  }

  /** New devices of this product join `group` instead of "Default". */
  async setProductDefaultGroup(productName: string, group: string): Promise<void> {
    await this.db.run(
      'INSERT INTO groups_product_defaults (group_id, product_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
      await this.groupId(group),
      await productId(this.db, productName),
    );
  }

  /** Lab seeding: a policy of `type` with `argument`, enforced on a group. Returns the enforcement ID. */
  addEnforcement(type: WorkitemType, argument: string, opts: EnforcementOptions = {}): Promise<number> {
    return this.db.tx(async (q) => {
      const name = opts.name ?? `${workitemTypeName(type)} ${argument}`.trim();
      await q.run(
        'INSERT INTO policies (type, name, argument, rec_fail, rec_noresult) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
        type,
        name,
        argument,
        opts.recFail ?? Recommendation.NO_ACCESS,
        opts.recNoResult ?? Recommendation.NO_RECOMMENDATION,
      );
      const policy = (await q.get<{ id: number }>('SELECT id FROM policies WHERE name = ?', name))!.id;
      return (await q.get<{ id: number }>(
        'INSERT INTO enforcements (policy, group_id, rec_fail, rec_noresult, max_age) VALUES (?, ?, ?, ?, ?) RETURNING id',
        policy,
        await this.groupId(opts.group ?? 'Default', q),
        opts.recFail ?? null,
        opts.recNoResult ?? null,
        opts.maxAge ?? 0,
      ))!.id;
    });
  }

  /** Lab seeding for the PCKGS workitem: marks a package name blocklisted (or clears it). */
  async setPackageBlocklisted(name: string, blocklisted: boolean): Promise<void> {
    await this.db.run(
      'INSERT INTO packages (name, blocklisted) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET blocklisted = excluded.blocklisted',
      name,
      blocklisted ? 1 : 0,
    );
  }

  async isPackageBlocklisted(name: string): Promise<boolean> {
    const row = await this.db.get<{ blocklisted: number }>('SELECT blocklisted FROM packages WHERE name = ?', name);
    return row?.blocklisted === 1;
  }

  /** Stores one SWIMA event the device reported (RFC 8412 EID within an epoch); duplicates are ignored. */
  async recordSwEvent(deviceValue: string, epoch: number, eid: number, timestamp: string): Promise<void> {
    const id = await deviceRow(this.db, deviceValue, null, this.now());
    await this.db.run(
      'INSERT INTO sw_events (device, epoch, eid, timestamp) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      id,
      epoch,
      eid,
      timestamp,
    );
  }

  /** Newest first. */
  listSessions(limit = 100): Promise<SessionInfo[]> {
    return this.db.all<SessionInfo>(
      `SELECT s.id, s.time, s.connection, s.identity, d.value AS device, p.name AS product, s.rec
       FROM sessions s LEFT JOIN devices d ON d.id = s.device LEFT JOIN products p ON p.id = s.product
       ORDER BY s.id DESC LIMIT ?`,
      limit,
    );
  }

  async listDevices(): Promise<DeviceInfo[]> {
    return (await this.db.all<DeviceRow>(`${DEVICE_SELECT} ORDER BY d.id`)).map(toDevice);
  }

  /** Archived workitem results, of one session or of all. */
  listResults(sessionId?: number): Promise<ResultInfo[]> {
    const select = `SELECT r.session, s.time, d.value AS device, p.name AS policy, p.type, r.rec, r.result
       FROM results r JOIN sessions s ON s.id = r.session JOIN policies p ON p.id = r.policy
       LEFT JOIN devices d ON d.id = s.device`;
    return sessionId === undefined
      ? this.db.all<ResultInfo>(`${select} ORDER BY r.id`)
      : this.db.all<ResultInfo>(`${select} WHERE r.session = ? ORDER BY r.id`, sessionId);
  }

  private async groupId(name: string, q: Queryable = this.db): Promise<number> {
    const row = await q.get<{ id: number }>('SELECT id FROM groups WHERE name = ?', name);
    if (!row) throw new PolicyStoreError(`no group '${name}'`);
    return row.id;
  }
}
