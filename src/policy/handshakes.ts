import type { Db } from '../db/engine';
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

export async function insertHandshake(db: Db, h: HandshakeStart): Promise<number> {
  const row = await db.get<{ id: number }>(
    'INSERT INTO handshakes (connection, transport, identity, started_ms) VALUES (?, ?, ?, ?) RETURNING id',
    h.connection,
    h.transport,
    h.identity ?? null,
    h.startedMs,
  );
  return row!.id;
}

export function finishHandshake(db: Db, id: number, end: HandshakeEnd): Promise<void> {
  return db.tx(async (q) => {
    await q.run(
      'UPDATE handshakes SET ended_ms = ?, rec = ?, evaluation = ?, reasons = ? WHERE id = ?',
      end.endedMs,
      end.rec ?? null,
      end.evaluation ?? null,
      JSON.stringify(end.reasons),
      id,
    );
    for (const v of end.imvs) {
      await q.run(
        `INSERT INTO handshake_imvs (handshake, imv_id, imv, rec, evaluation, reason) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (handshake, imv_id) DO UPDATE SET imv = excluded.imv, rec = excluded.rec,
           evaluation = excluded.evaluation, reason = excluded.reason`,
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
