import type { PaMessageType } from '../protocol/vendors';
import type { ConnectionInfo, ConnectionState, PaEnvelope } from './types';
import { ANY_ID } from './types';

/** What the IMC and IMV managers share: IDs, subscriptions and delivery rules. */
export interface Member {
  readonly name: string;
  readonly subscriptions: readonly PaMessageType[];
  notifyConnectionChange(conn: ConnectionInfo, state: ConnectionState): void | Promise<void>;
  receiveMessage(connectionId: number, msg: PaEnvelope): void | Promise<void>;
  batchEnding(connectionId: number): void | Promise<void>;
}

export interface Registered<M extends Member> {
  readonly id: number;
  readonly member: M;
}

/** Called when a member throws: the failure is logged and the member counts as failed for that connection. */
export type MemberFailure<M extends Member> = (
  conn: ConnectionInfo,
  member: Registered<M>,
  call: string,
  error: unknown,
) => void;

export class MemberRegistry<M extends Member> {
  readonly members: Registered<M>[] = [];

  /**
   * One member failing never stops the others (strongSwan's TNCC/TNCS log an IMC/IMV's error
   * result and go on): every call goes through `guard`, which reports a throw to `onFailure`.
   */
  constructor(private readonly onFailure: MemberFailure<M>) {}

  async guard(conn: ConnectionInfo, m: Registered<M>, call: string, fn: () => void | Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (e) {
      this.onFailure(conn, m, call, e);
      return false;
    }
  }

  add(member: M): number {
    const id = this.members.length + 1; // IDs from 1, as strongSwan assigns them
    this.members.push({ id, member });
    return id;
  }

  /**
   * RFC 5793 4.5: a PB-PA goes to every member subscribed to its type; with EXCL only to the
   * member whose ID it names (the posture collector ID on the client, the validator ID on the server).
   */
  recipients(msg: PaEnvelope, addressedId: number): Registered<M>[] {
    const subscribed = this.members.filter((m) =>
      m.member.subscriptions.some((s) => s.vendor === msg.type.vendor && s.subtype === msg.type.subtype),
    );
    if (!msg.exclusive || addressedId === ANY_ID) return subscribed;
    return subscribed.filter((m) => m.id === addressedId);
  }

  async notifyAll(conn: ConnectionInfo, state: ConnectionState): Promise<void> {
    for (const m of this.members)
      await this.guard(conn, m, `NotifyConnectionChange(${state})`, () => m.member.notifyConnectionChange(conn, state));
  }

  async batchEndingAll(conn: ConnectionInfo): Promise<void> {
    for (const m of this.members) await this.guard(conn, m, 'BatchEnding', () => m.member.batchEnding(conn.id));
  }
}
