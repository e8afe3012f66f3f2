import type { ConnectionInfo, Imc, PaEnvelope, TnccsHost } from '../tnccs/types';
import { Manager } from '../tnccs/manager';

/**
 * The TNC client's side of IF-IMC: loads IMCs through the Imc interface only (never a concrete
 * IMC), gives them IDs, routes received PA messages by subscription and EXCL, and collects what
 * they send into the next CDATA batch.
 */
export class ImcManager extends Manager<Imc, TnccsHost> {
  protected readonly role = 'IMC' as const;
  private readonly retries = new Map<number, string>();
  protected readonly host: TnccsHost = {
    send: (connectionId, msg) => this.outbox.push(connectionId, msg),
    sendLater: (connectionId, messages) => this.outbox.pushLater(connectionId, messages),
    requestHandshakeRetry: (connectionId, reason) => void this.retries.set(connectionId, reason),
  };

  /** The reason an IMC asked for a handshake retry on this connection, once. */
  takeRetryRequest(connectionId: number): string | undefined {
    const reason = this.retries.get(connectionId);
    this.retries.delete(connectionId);
    return reason;
  }

  protected addressedId(msg: PaEnvelope): number {
    return msg.collectorId;
  }

  async createConnection(conn: ConnectionInfo): Promise<void> {
    await this.registry.notifyAll(conn, 'Create');
  }

  async beginHandshake(conn: ConnectionInfo): Promise<void> {
    await this.registry.notifyAll(conn, 'Handshake');
    for (const m of this.registry.members)
      await this.registry.guard(conn, m, 'BeginHandshake', () => m.member.beginHandshake(conn.id));
  }
}
