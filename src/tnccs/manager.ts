import type { ConnectionInfo, PaEnvelope, TnccsHost } from './types';
import { Member, MemberRegistry, Outbox } from './registry';

/** An IMC or IMV as its manager drives it. */
export interface ManagedMember<H extends TnccsHost> extends Member {
  initialize(id: number, host: H): void;
}

/**
 * What the IMC manager (TNC client) and the IMV manager (TNC server) share: members by interface
 * only, IDs from 1, delivery by subscription and EXCL, and the PA messages queued for the next batch.
 */
export abstract class Manager<M extends ManagedMember<H>, H extends TnccsHost> {
  protected readonly registry = new MemberRegistry<M>();
  protected readonly outbox = new Outbox();
  protected abstract readonly host: H;

  /** RFC 5793 4.5: the ID an EXCL message names (collector ID on the client, validator ID on the server). */
  protected abstract addressedId(msg: PaEnvelope): number;

  add(member: M): number {
    const id = this.registry.add(member);
    member.initialize(id, this.host);
    return id;
  }

  async deliver(conn: ConnectionInfo, msg: PaEnvelope): Promise<number> {
    const to = this.registry.recipients(msg, this.addressedId(msg));
    for (const m of to) await m.member.receiveMessage(conn.id, msg);
    return to.length;
  }

  async batchEnding(conn: ConnectionInfo): Promise<void> {
    await this.registry.batchEndingAll(conn.id);
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
