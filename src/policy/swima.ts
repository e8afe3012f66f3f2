import { SW_ACTION } from '../protocol/pa-tnc/swima';
import type { Db, Queryable } from '../db/engine';
import { deviceRow, type PolicyStore } from './store';

/** Where a device's reported inventory stands: RFC 8412 EID epoch and the last EID it covers. */
export interface SwState {
  readonly epoch: number;
  readonly lastEid: number;
}

/** One software record as the endpoint reported it (an untrusted claim). */
export interface ReportedSw {
  readonly swId: string;
  readonly source: number;
}

export interface ReportedSwEvent extends ReportedSw {
  readonly eid: number;
  readonly timestamp: string;
  readonly action: number;
}

/**
 * `<regid>__<Name>_<Version>-<Arch>-<package>-<version>` (strongSwan's swid_gen.c, src/imcs/swima/sw-id.ts) names package `name` when
 * what follows the OS part is `name-` and a version (Debian versions start with a digit). A package whose
 * name is another's plus "-<digit>…" (libsqlite3 / libsqlite3-0) is ambiguous: the check errs on flagging.
 */
export function swIdNamesPackage(swId: string, name: string): boolean {
  const rest = /^[^_]*_[^-]*-[^-]*-(.*)$/.exec(swId.slice(swId.indexOf('__') + 2))?.[1];
  return rest !== undefined && rest.startsWith(`${name}-`) && /^\d/.test(rest.slice(name.length + 1));
}

/** The SWIMA IMV's part of the policy database: per device inventory, event records and last EID/epoch. */
export class SwimaPolicy {
  private readonly db: Db;

  constructor(store: PolicyStore) {
    this.db = store.db;
  }

  /** SWIMA accessors over the policy store's own connection. */
  static of(store: PolicyStore): SwimaPolicy {
    return new SwimaPolicy(store);
  }

  private device(q: Queryable, value: string): Promise<number> {
    return deviceRow(q, value, null, Math.floor(Date.now() / 1000));
  }

  async state(deviceValue: string): Promise<SwState | undefined> {
    return this.db.get<SwState>(
      'SELECT s.epoch, s.last_eid AS "lastEid" FROM sw_state s JOIN devices d ON d.id = s.device WHERE d.value = ?',
      deviceValue,
    );
  }

  private async setState(q: Queryable, device: number, s: SwState): Promise<void> {
    await q.run(
      `INSERT INTO sw_state (device, epoch, last_eid, time) VALUES (?, ?, ?, ?)
       ON CONFLICT (device) DO UPDATE SET epoch = excluded.epoch, last_eid = excluded.last_eid, time = excluded.time`,
      device,
      s.epoch,
      s.lastEid,
      Math.floor(Date.now() / 1000),
    );
  }

  /** A whole inventory replaces what was stored for the device (first contact, or a new epoch). */
  async replaceInventory(deviceValue: string, s: SwState, records: readonly ReportedSw[]): Promise<void> {
    await this.db.tx(async (q) => {
      const device = await this.device(q, deviceValue);
      await q.run('DELETE FROM sw_inventory WHERE device = ?', device);
      for (const r of records)
        await q.run(
          'INSERT INTO sw_inventory (device, sw_id, source) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
          device,
          r.swId,
          r.source,
        );
      await this.setState(q, device, s);
    });
  }

  /** Events applied to the stored inventory of the same epoch; the state moves to `s.lastEid`. */
  async applyEvents(deviceValue: string, s: SwState, events: readonly ReportedSwEvent[]): Promise<void> {
    await this.db.tx(async (q) => {
      const device = await this.device(q, deviceValue);
      for (const e of events) await this.applyEvent(q, device, s.epoch, e);
      await this.setState(q, device, s);
    });
  }

  private async applyEvent(q: Queryable, device: number, epoch: number, e: ReportedSwEvent): Promise<void> {
    await q.run(
      'INSERT INTO sw_events (device, epoch, eid, timestamp) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      device,
      epoch,
      e.eid,
      e.timestamp,
    );
    await q.run(
      'INSERT INTO sw_event_records (device, epoch, eid, action, sw_id) VALUES (?, ?, ?, ?, ?)',
      device,
      epoch,
      e.eid,
      e.action,
      e.swId,
    );
    if (e.action === SW_ACTION.DELETION)
      await q.run('DELETE FROM sw_inventory WHERE device = ? AND sw_id = ?', device, e.swId);
    else
      await q.run(
        'INSERT INTO sw_inventory (device, sw_id, source) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        device,
        e.swId,
        e.source,
      );
  }

  async inventory(deviceValue: string): Promise<string[]> {
    const rows = await this.db.all<{ sw_id: string }>(
      'SELECT i.sw_id FROM sw_inventory i JOIN devices d ON d.id = i.device WHERE d.value = ? ORDER BY i.sw_id',
      deviceValue,
    );
    return rows.map((r) => r.sw_id);
  }

  /** Event records stored for the device, oldest first. */
  events(deviceValue: string): Promise<(ReportedSwEvent & { epoch: number })[]> {
    return this.db.all(
      `SELECT r.epoch, r.eid, e.timestamp, r.action, r.sw_id AS "swId", 0 AS source FROM sw_event_records r
       JOIN sw_events e ON e.device = r.device AND e.epoch = r.epoch AND e.eid = r.eid
       JOIN devices d ON d.id = r.device WHERE d.value = ? ORDER BY r.id`,
      deviceValue,
    );
  }

  /** Identifiers in the device's inventory that name a blocklisted package (packages.blocklisted). */
  async blocklisted(deviceValue: string): Promise<string[]> {
    const names = (await this.db.all<{ name: string }>('SELECT name FROM packages WHERE blocklisted = 1')).map(
      (r) => r.name,
    );
    if (names.length === 0) return [];
    return (await this.inventory(deviceValue)).filter((id) => names.some((n) => swIdNamesPackage(id, n)));
  }
}
