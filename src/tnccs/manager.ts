import type { ConnectionInfo, PaEnvelope, TnccsHost } from './types';
import { Member, MemberRegistry, Registered } from './registry';
import { Outbox } from './outbox';

/** An IMC or IMV as its manager drives it. */
export interface ManagedMember<H extends TnccsHost> extends Member {
  initialize(id: number, host: H): void;
}

/**
 * What the IMC manager (TNC client) and the IMV manager (TNC server) share: members by interface
 * only, IDs from 1, delivery by subscription and EXCL, and the PA messages queued for the next batch.
 */
export abstract class Manager<M extends ManagedMember<H>, H extends TnccsHost> {
  protected readonly registry = new MemberRegistry<M>((conn, m, call, e) => this.memberFailed(conn, m, call, e));
  protected readonly outbox = new Outbox();
  protected abstract readonly host: H;

  /** RFC 5793 4.5: the ID an EXCL message names (collector ID on the client, validator ID on the server). */
  protected abstract addressedId(msg: PaEnvelope): number;

  /** 'IMC' or 'IMV', for the log line of a failing member. */
  protected abstract readonly role: 'IMC' | 'IMV';

  /** A member threw: logged here; the IMV manager also counts it as an error verdict. */
  protected memberFailed(conn: ConnectionInfo, m: Registered<M>, call: string, e: unknown): void {
    const why = e instanceof Error ? e.message : String(e);
    conn.log.error(
      'TNC',
      `${this.role} ${m.id} "${m.member.name}" failed in ${call} on Connection ID ${conn.id}: ${why}`,
    );
  }

  add(member: M): number {
    const id = this.registry.add(member);
    member.initialize(id, this.host);
    return id;
  }

  async deliver(conn: ConnectionInfo, msg: PaEnvelope): Promise<number> {
    const to = this.registry.recipients(msg, this.addressedId(msg));
    for (const m of to)
      await this.registry.guard(conn, m, 'ReceiveMessage', () => m.member.receiveMessage(conn.id, msg));
    return to.length;
  }

  async batchEnding(conn: ConnectionInfo): Promise<void> {
    await this.registry.batchEndingAll(conn);
  }

  /** Queued PA messages that fit `budget` bytes of PB-PA messages; the rest wait for the next batch. */
  takeOutgoing(connectionId: number, budget?: number): PaEnvelope[] {
    return this.outbox.take(connectionId, budget);
  }

  hasOutgoing(connectionId: number): boolean {
    return this.outbox.pending(connectionId) > 0;
  }

  /** Tells the members the connection's outcome (IF-IMC/IF-IMV connection states). */
  async notifyResult(conn: ConnectionInfo, state: 'Allowed' | 'Isolated' | 'None'): Promise<void> {
    await this.registry.notifyAll(conn, state);
  }

  /** Ends the connection; `state` is the outcome when the members have not been told one yet. */
  async endConnection(conn: ConnectionInfo, state?: 'Allowed' | 'Isolated' | 'None'): Promise<void> {
    if (state) await this.registry.notifyAll(conn, state);
    await this.registry.notifyAll(conn, 'Delete');
    this.outbox.drop(conn.id);
  }
}
