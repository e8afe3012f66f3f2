import type { Logger } from '../log';
import { MemberRegistry, Outbox } from '../tnccs/registry';
import { NO_VERDICT, Verdict } from './policy/merge';
import { ConnectionInfo, evaluationName, Imv, ImvHost, PaEnvelope, recommendationName } from '../tnccs/types';

export interface ImvVerdict extends Verdict {
  readonly imvId: number;
  readonly reason?: string;
}

/**
 * The TNC server's side of IF-IMV: IMVs by interface only, IDs, routing by subscription and EXCL,
 * outbound queues, and the recommendations each IMV provides per connection.
 */
export class ImvManager {
  private readonly registry = new MemberRegistry<Imv>();
  private readonly outbox = new Outbox();
  private readonly verdicts = new Map<number, Map<number, ImvVerdict>>();
  private readonly logs = new Map<number, Logger>();

  private readonly host: ImvHost = {
    send: (connectionId, msg) => this.outbox.push(connectionId, msg),
    provideRecommendation: (connectionId, imvId, recommendation, evaluation, reason) => {
      this.logs.get(connectionId)?.info('TNC', `IMV ${imvId} provides recommendation '${recommendationName(recommendation)}' and evaluation '${evaluationName(evaluation)}'`);
      this.verdicts.get(connectionId)?.set(imvId, { imvId, rec: recommendation, evaluation, reason });
    },
  };

  add(imv: Imv): number {
    const id = this.registry.add(imv);
    imv.initialize(id, this.host);
    return id;
  }

  get imvs(): readonly { id: number; member: Imv }[] {
    return this.registry.members;
  }

  async createConnection(conn: ConnectionInfo): Promise<void> {
    this.verdicts.set(conn.id, new Map());
    this.logs.set(conn.id, conn.log);
    await this.registry.notifyAll(conn, 'Create');
    await this.registry.notifyAll(conn, 'Handshake');
  }

  /** RFC 5793 4.5: with EXCL the posture validator ID names the one IMV to deliver to. */
  async deliver(conn: ConnectionInfo, msg: PaEnvelope): Promise<number> {
    const to = this.registry.recipients(msg, msg.validatorId);
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

  /** True once every IMV has provided a recommendation for this connection. */
  allDecided(connectionId: number): boolean {
    return (this.verdicts.get(connectionId)?.size ?? 0) >= this.registry.members.length;
  }

  /** IF-IMV SolicitRecommendation for each IMV still undecided; silence counts as no recommendation. */
  async solicit(connectionId: number): Promise<void> {
    const decided = this.verdicts.get(connectionId);
    for (const m of this.registry.members) {
      if (decided?.has(m.id)) continue;
      await m.member.solicitRecommendation(connectionId);
      if (!decided?.has(m.id)) {
        decided?.set(m.id, { imvId: m.id, ...NO_VERDICT });
      }
    }
  }

  verdictsOf(connectionId: number): ImvVerdict[] {
    return [...(this.verdicts.get(connectionId)?.values() ?? [])];
  }

  async endConnection(conn: ConnectionInfo, state: 'Allowed' | 'Isolated' | 'None'): Promise<void> {
    await this.registry.notifyAll(conn, state);
    await this.registry.notifyAll(conn, 'Delete');
    this.outbox.drop(conn.id);
    this.verdicts.delete(conn.id);
    this.logs.delete(conn.id);
  }
}
