import type { Logger } from '../log';
import type { PolicyStore } from '../policy/store';
import type { Workitem } from '../policy/manager';
import { workitemTypeName, WorkitemType } from '../policy/workitem-types';

/** What the IMVs of one TNCCS connection share: the policy session, its device, product and workitems. */
export interface ImvSession {
  readonly connectionId: number;
  sessionId?: number;
  deviceId?: string;
  product?: string;
  /** devices.id and products.id rows the started session is bound to. */
  deviceRow?: number | null;
  starting?: Promise<void>;
  productRow?: number | null;
  workitems: Workitem[];
  /** Why the session's identity claims cannot be believed: set once, and every verdict then fails. */
  violation?: string;
}

/** The identity an OS message claims (RFC 5792 Product Information and String Version, ITA Device ID). */
export interface IdentityClaim {
  readonly deviceId?: string;
  readonly product?: string;
}

/**
 * strongSwan's imv_session_manager: one policy session per connection, started (policy manager
 * "start") once the device ID and the product are known; stopped when the connection ends.
 */
export class SessionManager {
  private readonly sessions = new Map<number, ImvSession>();
  /** Workitem results being written, per connection. */
  private readonly writes = new Map<number, Promise<void>[]>();

  constructor(readonly store: PolicyStore) {}

  get(connectionId: number): ImvSession {
    let s = this.sessions.get(connectionId);
    if (!s) {
      s = { connectionId, workitems: [] };
      this.sessions.set(connectionId, s);
    }
    return s;
  }

  /**
   * Takes the identity an OS message claims. Until the policy session starts it may be completed or
   * corrected; once it runs, its workitems, registered evidence and AIK check are bound to that device
   * and product, so a different claim is refused: returns why, and the session is marked violated.
   */
  claimIdentity(connectionId: number, claim: IdentityClaim): string | undefined {
    const s = this.get(connectionId);
    if (s.sessionId !== undefined) {
      const changed = (['deviceId', 'product'] as const).find((k) => claim[k] !== undefined && claim[k] !== s[k]);
      if (changed === undefined) return undefined;
      const what = changed === 'deviceId' ? 'Device ID' : 'product';
      s.violation ??= `the endpoint changed its ${what} from '${s[changed] ?? ''}' to '${claim[changed]}' after the policy session started`;
      return s.violation;
    }
    if (claim.deviceId !== undefined) s.deviceId = claim.deviceId;
    if (claim.product !== undefined) s.product = claim.product;
    return undefined;
  }

  /** The connection's identity violation, if any (does not create a session). */
  violationOf(connectionId: number): string | undefined {
    return this.sessions.get(connectionId)?.violation;
  }

  /** Starts the policy session when product and device ID are both known; true when it runs. */
  async start(connectionId: number, identity: string | undefined, log: Logger): Promise<boolean> {
    const s = this.get(connectionId);
    if (s.sessionId !== undefined) return true;
    if (!s.deviceId || !s.product) return false;
    // one start per connection, however many of its messages ask while it runs
    s.starting ??= this.begin(s, identity, log);
    await s.starting;
    return true;
  }

  private async begin(s: ImvSession, identity: string | undefined, log: Logger): Promise<void> {
    const started = await this.store.startSession(s.connectionId, identity ?? null, s.deviceId, s.product);
    log.info('IMV', `assigned session ID ${started.id} to Connection ID ${s.connectionId}`);
    const workitems = await this.store.createWorkitems(started.id);
    Object.assign(s, { sessionId: started.id, deviceRow: started.device, productRow: started.product, workitems });
    log.info('IMV', 'policy: imv_policy_manager start successful');
    for (const w of s.workitems) log.info('IMV', `${workitemTypeName(w.type)} workitem ${w.id}`);
  }

  /** The workitems of the given types that no IMV has finished yet. */
  pending(connectionId: number, types: readonly WorkitemType[]): Workitem[] {
    return this.get(connectionId).workitems.filter((w) => types.includes(w.type) && w.recFinal === null);
  }

  /**
   * Records a workitem's outcome in the session's copy now and in the store in the background;
   * `stop` waits for the write before it archives the results.
   */
  finish(connectionId: number, item: Workitem, rec: Workitem['recFail'], result: string): void {
    const s = this.get(connectionId);
    s.workitems = s.workitems.map((w) => (w.id === item.id ? { ...w, recFinal: rec, result } : w));
    const write = this.store.track(this.store.setWorkitemResult(item.id, rec, result));
    const writes = this.writes.get(connectionId) ?? [];
    writes.push(write);
    this.writes.set(connectionId, writes);
  }

  /** Policy manager "stop": archives the results and forgets the connection. */
  stop(connectionId: number, log: Logger): Promise<void> {
    const s = this.sessions.get(connectionId);
    this.sessions.delete(connectionId);
    const writes = this.writes.get(connectionId) ?? [];
    this.writes.delete(connectionId);
    if (!s) return Promise.resolve();
    return this.store.track(this.archive(s, writes, log));
  }

  private async archive(s: ImvSession, writes: Promise<void>[], log: Logger): Promise<void> {
    try {
      await s.starting; // a start under way ends first: its session is the one to stop
      if (s.sessionId === undefined) return;
      for (const r of await Promise.allSettled(writes))
        if (r.status === 'rejected')
          log.error(
            'IMV',
            `policy: a workitem result of session ${s.sessionId} was not stored: ${(r.reason as Error).message}`,
          );
      await this.store.stopSession(s.sessionId);
      log.info('IMV', 'policy: imv_policy_manager stop successful');
    } catch (e) {
      log.error('IMV', `policy: imv_policy_manager stop failed: ${(e as Error).message}`);
    }
  }
}
