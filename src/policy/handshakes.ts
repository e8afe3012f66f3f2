import type { Sql } from '../db/sql';
import type { Evaluation, Recommendation } from '../tnccs/types';

/** A PB-TNC handshake as the server begins it (its transport and the identity the transport authenticated). */
export interface HandshakeStart {
  readonly connection: number;
  readonly transport: string;
  readonly identity?: string;
  readonly startedMs: number;
}

/** One IMV's verdict in a handshake (IF-IMV TNC_TNCS_ProvideRecommendation). */
export interface ImvVerdictRecord {
  readonly imvId: number;
  readonly imv: string;
  readonly rec: Recommendation;
  readonly evaluation: Evaluation;
  readonly reason?: string;
}

/** How a handshake ended: the merged verdict sent in RESULT (absent when none was sent) and each IMV's. */
export interface HandshakeEnd {
  readonly endedMs: number;
  readonly rec?: Recommendation;
  readonly evaluation?: Evaluation;
  readonly reasons: readonly string[];
  readonly imvs: readonly ImvVerdictRecord[];
}

export function insertHandshake(sql: Sql, h: HandshakeStart): number {
  return sql.run(
    'INSERT INTO handshakes (connection, transport, identity, started_ms) VALUES (?, ?, ?, ?)',
    h.connection,
    h.transport,
    h.identity ?? null,
    h.startedMs,
  ).lastInsertRowid;
}

export function finishHandshake(sql: Sql, id: number, end: HandshakeEnd): void {
  sql.tx(() => {
    sql.run(
      'UPDATE handshakes SET ended_ms = ?, rec = ?, evaluation = ?, reasons = ? WHERE id = ?',
      end.endedMs,
      end.rec ?? null,
      end.evaluation ?? null,
      JSON.stringify(end.reasons),
      id,
    );
    for (const v of end.imvs) {
      sql.run(
        'INSERT OR REPLACE INTO handshake_imvs (handshake, imv_id, imv, rec, evaluation, reason) VALUES (?, ?, ?, ?, ?, ?)',
        id,
        v.imvId,
        v.imv,
        v.rec,
        v.evaluation,
        v.reason ?? null,
      );
    }
  });
}
