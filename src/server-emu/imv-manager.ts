import type { Logger } from '../log';
import { Manager } from '../tnccs/manager';
import { NO_VERDICT, Verdict } from '../policy/merge';
import type { Registered } from '../tnccs/registry';
import {
  ConnectionInfo,
  Evaluation,
  evaluationName,
  Imv,
  ImvHost,
  PaEnvelope,
  Recommendation,
  recommendationName,
} from '../tnccs/types';

export interface ImvVerdict extends Verdict {
  readonly imvId: number;
  readonly reason?: string;
}

/**
 * The TNC server's side of IF-IMV: IMVs by interface only, IDs, routing by subscription and EXCL,
 * outbound queues, and the recommendations each IMV provides per connection.
 */
export class ImvManager extends Manager<Imv, ImvHost> {
  protected readonly role = 'IMV' as const;
  private readonly verdicts = new Map<number, Map<number, ImvVerdict>>();
  private readonly logs = new Map<number, Logger>();

  protected readonly host: ImvHost = {
    send: (connectionId, msg) => this.outbox.push(connectionId, msg),
    provideRecommendation: (connectionId, imvId, recommendation, evaluation, reason) => {
      this.logs
        .get(connectionId)
        ?.info(
          'TNC',
          `IMV ${imvId} provides recommendation '${recommendationName(recommendation)}' and evaluation '${evaluationName(evaluation)}'`,
        );
      this.verdicts.get(connectionId)?.set(imvId, { imvId, rec: recommendation, evaluation, reason });
    },
  };

  /**
   * An IMV that throws has no verdict to give: its evaluation is "error" (IF-IMV 1.3
   * TNC_IMV_EVALUATION_RESULT_ERROR) and, stricter than strongSwan's "no recommendation", its
   * recommendation is no access: a verifier that an endpoint can make fail must not let it in.
   */
  protected override memberFailed(conn: ConnectionInfo, m: Registered<Imv>, call: string, e: unknown): void {
    super.memberFailed(conn, m, call, e);
    const reason = `IMV "${m.member.name}" failed: ${e instanceof Error ? e.message : String(e)}`;
    this.verdicts
      .get(conn.id)
      ?.set(m.id, { imvId: m.id, rec: Recommendation.NO_ACCESS, evaluation: Evaluation.ERROR, reason });
  }

  protected addressedId(msg: PaEnvelope): number {
    return msg.validatorId;
  }

  async createConnection(conn: ConnectionInfo): Promise<void> {
    this.verdicts.set(conn.id, new Map());
    this.logs.set(conn.id, conn.log);
    await this.registry.notifyAll(conn, 'Create');
    await this.registry.notifyAll(conn, 'Handshake');
  }

  /** RFC 5793 3.2 CRETRY: the handshake starts over; earlier recommendations no longer count. */
  async restart(conn: ConnectionInfo): Promise<void> {
    this.verdicts.set(conn.id, new Map());
    await this.registry.notifyAll(conn, 'Handshake');
  }

  /** True once every IMV has provided a recommendation for this connection. */
  allDecided(connectionId: number): boolean {
    return (this.verdicts.get(connectionId)?.size ?? 0) >= this.registry.members.length;
  }

  /** IF-IMV SolicitRecommendation for each IMV still undecided; silence counts as no recommendation. */
  async solicit(conn: ConnectionInfo): Promise<void> {
    const decided = this.verdicts.get(conn.id);
    for (const m of this.registry.members) {
      if (decided?.has(m.id)) continue;
      await this.registry.guard(conn, m, 'SolicitRecommendation', () => m.member.solicitRecommendation(conn.id));
      if (!decided?.has(m.id)) {
        decided?.set(m.id, { imvId: m.id, ...NO_VERDICT });
      }
    }
  }

  /** The IMV's name ("OS", "SWIMA", "Attestation"). */
  nameOf(imvId: number): string | undefined {
    return this.registry.members.find((m) => m.id === imvId)?.member.name;
  }

  verdictsOf(connectionId: number): ImvVerdict[] {
    return [...(this.verdicts.get(connectionId)?.values() ?? [])];
  }

  override async endConnection(conn: ConnectionInfo, state?: 'Allowed' | 'Isolated' | 'None'): Promise<void> {
    await super.endConnection(conn, state);
    this.verdicts.delete(conn.id);
    this.logs.delete(conn.id);
  }
}
