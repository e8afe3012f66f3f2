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
  start(connectionId: number, identity: string | undefined, log: Logger): boolean {
    const s = this.get(connectionId);
    if (s.sessionId !== undefined) return true;
    if (!s.deviceId || !s.product) return false;
    s.sessionId = this.store.startSession(connectionId, identity ?? null, s.deviceId, s.product);
    log.info('IMV', `assigned session ID ${s.sessionId} to Connection ID ${connectionId}`);
    s.workitems = this.store.createWorkitems(s.sessionId);
    log.info('IMV', 'policy: imv_policy_manager start successful');
    for (const w of s.workitems) log.info('IMV', `${workitemTypeName(w.type)} workitem ${w.id}`);
    return true;
  }

  /** The workitems of the given types that no IMV has finished yet. */
  pending(connectionId: number, types: readonly WorkitemType[]): Workitem[] {
    return this.get(connectionId).workitems.filter((w) => types.includes(w.type) && w.recFinal === null);
  }

  /** Records a workitem's outcome in the store and in the session's copy. */
  finish(connectionId: number, item: Workitem, rec: Workitem['recFail'], result: string): void {
    this.store.setWorkitemResult(item.id, rec, result);
    const s = this.get(connectionId);
    s.workitems = s.workitems.map((w) => (w.id === item.id ? { ...w, recFinal: rec, result } : w));
  }

  /** Policy manager "stop": archives the results and forgets the connection. */
  stop(connectionId: number, log: Logger): void {
    const s = this.sessions.get(connectionId);
    this.sessions.delete(connectionId);
    if (s?.sessionId === undefined) return;
    this.store.stopSession(s.sessionId);
    log.info('IMV', 'policy: imv_policy_manager stop successful');
  }
}
