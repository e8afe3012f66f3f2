import { SW_ACTION } from '../protocol/pa-tnc/swima';
import { Sql } from '../db/sql';
import type { PolicyStore } from './store';

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
  constructor(
    private readonly sql: Sql,
    private readonly store: PolicyStore,
  ) {}

  /** SWIMA accessors over the policy store's own connection. */
  static of(store: PolicyStore): SwimaPolicy {
    return new SwimaPolicy(store.sql, store);
  }

  private device(value: string): number {
    return this.store.getOrCreateDevice(value).id;
  }

  state(deviceValue: string): SwState | undefined {
    const d = this.store.findDevice(deviceValue);
    return d && this.sql.get<SwState>('SELECT epoch, last_eid AS lastEid FROM sw_state WHERE device = ?', d.id);
  }

  private setState(device: number, s: SwState): void {
    this.sql.run(
      `INSERT INTO sw_state (device, epoch, last_eid, time) VALUES (?, ?, ?, ?)
       ON CONFLICT (device) DO UPDATE SET epoch = excluded.epoch, last_eid = excluded.last_eid, time = excluded.time`,
      device,
      s.epoch,
      s.lastEid,
      Math.floor(Date.now() / 1000),
    );
  }

  /** A whole inventory replaces what was stored for the device (first contact, or a new epoch). */
  replaceInventory(deviceValue: string, s: SwState, records: readonly ReportedSw[]): void {
    this.sql.tx(() => {
      const device = this.device(deviceValue);
      this.sql.run('DELETE FROM sw_inventory WHERE device = ?', device);
      for (const r of records)
        this.sql.run(
          'INSERT OR IGNORE INTO sw_inventory (device, sw_id, source) VALUES (?, ?, ?)',
          device,
          r.swId,
          r.source,
        );
      this.setState(device, s);
    });
  }

  /** Events applied to the stored inventory of the same epoch; the state moves to `s.lastEid`. */
  applyEvents(deviceValue: string, s: SwState, events: readonly ReportedSwEvent[]): void {
    this.sql.tx(() => {
      const device = this.device(deviceValue);
      for (const e of events) this.applyEvent(device, s.epoch, e);
      this.setState(device, s);
    });
  }

  private applyEvent(device: number, epoch: number, e: ReportedSwEvent): void {
    this.sql.run(
      'INSERT OR IGNORE INTO sw_events (device, epoch, eid, timestamp) VALUES (?, ?, ?, ?)',
      device,
      epoch,
      e.eid,
      e.timestamp,
    );
    this.sql.run(
      'INSERT INTO sw_event_records (device, epoch, eid, action, sw_id) VALUES (?, ?, ?, ?, ?)',
      device,
      epoch,
      e.eid,
      e.action,
      e.swId,
    );
    if (e.action === SW_ACTION.DELETION)
      this.sql.run('DELETE FROM sw_inventory WHERE device = ? AND sw_id = ?', device, e.swId);
    else
      this.sql.run(
        'INSERT OR IGNORE INTO sw_inventory (device, sw_id, source) VALUES (?, ?, ?)',
        device,
        e.swId,
        e.source,
      );
  }

  inventory(deviceValue: string): string[] {
    const d = this.store.findDevice(deviceValue);
    if (!d) return [];
    return this.sql
      .all<{ sw_id: string }>('SELECT sw_id FROM sw_inventory WHERE device = ? ORDER BY sw_id', d.id)
      .map((r) => r.sw_id);
  }

  /** Event records stored for the device, oldest first. */
  events(deviceValue: string): (ReportedSwEvent & { epoch: number })[] {
    const d = this.store.findDevice(deviceValue);
    if (!d) return [];
    return this.sql.all(
      `SELECT r.epoch, r.eid, e.timestamp, r.action, r.sw_id AS swId, 0 AS source FROM sw_event_records r
       JOIN sw_events e ON e.device = r.device AND e.epoch = r.epoch AND e.eid = r.eid WHERE r.device = ? ORDER BY r.id`,
      d.id,
    );
  }

  /** Identifiers in the device's inventory that name a blocklisted package (packages.blocklisted). */
  blocklisted(deviceValue: string): string[] {
    const names = this.sql.all<{ name: string }>('SELECT name FROM packages WHERE blocklisted = 1').map((r) => r.name);
    if (names.length === 0) return [];
    return this.inventory(deviceValue).filter((id) => names.some((n) => swIdNamesPackage(id, n)));
  }
}
