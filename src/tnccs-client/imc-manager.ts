import type { ConnectionInfo, Imc, PaEnvelope, TnccsHost } from '../tnccs/types';
import { MemberRegistry, Outbox } from '../tnccs/registry';

/**
 * The TNC client's side of IF-IMC: loads IMCs through the Imc interface only (never a concrete
 * IMC), gives them IDs, routes received PA messages by subscription and EXCL, and collects what
 * they send into the next CDATA batch.
 */
export class ImcManager {
  private readonly registry = new MemberRegistry<Imc>();
  private readonly outbox = new Outbox();
  private readonly host: TnccsHost = { send: (connectionId, msg) => this.outbox.push(connectionId, msg) };

  add(imc: Imc): number {
    const id = this.registry.add(imc);
    imc.initialize(id, this.host);
    return id;
  }

  get imcs(): readonly { id: number; member: Imc }[] {
    return this.registry.members;
  }

  async createConnection(conn: ConnectionInfo): Promise<void> {
    await this.registry.notifyAll(conn, 'Create');
  }

  async beginHandshake(conn: ConnectionInfo): Promise<void> {
    await this.registry.notifyAll(conn, 'Handshake');
    for (const m of this.registry.members) await m.member.beginHandshake(conn.id);
  }

  /** RFC 5793 4.5: with EXCL the posture collector ID names the one IMC to deliver to. */
  async deliver(conn: ConnectionInfo, msg: PaEnvelope): Promise<number> {
    const to = this.registry.recipients(msg, msg.collectorId);
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

  async endConnection(conn: ConnectionInfo, state: 'Allowed' | 'Isolated' | 'None'): Promise<void> {
    await this.registry.notifyAll(conn, state);
    await this.registry.notifyAll(conn, 'Delete');
    this.outbox.drop(conn.id);
  }
}
