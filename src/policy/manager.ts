import { Recommendation } from '../tnccs/types';
import { mergeVerdicts, NO_VERDICT } from './merge';
import { PolicyStoreError } from './schema';
import { rowPlaceholders, type Db, type Queryable } from '../db/engine';
import { DIR_TYPES, FILE_TYPES, WorkitemType } from './workitem-types';

/** One measurement task of a session, as the IMVs see it (schema.ts `workitems`). */
export interface Workitem {
  readonly id: number;
  readonly session: number;
  readonly enforcement: number;
  readonly type: WorkitemType;
  readonly argStr: string;
  readonly argInt: number;
  readonly recFail: Recommendation;
  readonly recNoResult: Recommendation;
  /** Set by the IMV that handled it; null while pending. */
  readonly recFinal: Recommendation | null;
  readonly result: string | null;
}

interface WorkitemRow {
  id: number;
  session: number;
  enforcement: number;
  type: number;
  arg_str: string;
  arg_int: number;
  rec_fail: number;
  rec_noresult: number;
  rec_final: number | null;
  result: string | null;
}

interface EnforcementRow {
  id: number;
  policy: number;
  type: number;
  argument: string;
  rec_fail: number;
  rec_noresult: number;
  max_age: number;
  file: number | null;
  dir: number | null;
}

const toWorkitem = (r: WorkitemRow): Workitem => ({
  id: r.id,
  session: r.session,
  enforcement: r.enforcement,
  type: r.type,
  argStr: r.arg_str,
  argInt: r.arg_int,
  recFail: r.rec_fail,
  recNoResult: r.rec_noresult,
  recFinal: r.rec_final,
  result: r.result,
});

const DEFAULT_GROUP = 1;

/** strongSwan's imv_policy_manager.c: a device without groups joins its product's default groups, else group 1 "Default". */
async function seedGroups(q: Queryable, device: number | null, product: number | null): Promise<number[]> {
  const defaults = (
    await q.all<{ group_id: number }>('SELECT group_id FROM groups_product_defaults WHERE product_id = ?', product)
  ).map((r) => r.group_id);
  const seeds = defaults.length > 0 ? defaults : [DEFAULT_GROUP];
  if (device === null) return seeds;
  const member = await q.all<{ group_id: number }>('SELECT group_id FROM groups_members WHERE device_id = ?', device);
  if (member.length > 0) return member.map((r) => r.group_id);
  // another server may seed the same new device's groups at the same moment: both get the same rows
  for (const g of seeds)
    await q.run('INSERT INTO groups_members (group_id, device_id) VALUES (?, ?) ON CONFLICT DO NOTHING', g, device);
  return seeds;
}

/** Enforcements of the groups and all their parents; the first enforcement of a policy wins. */
async function enforcementsFor(q: Queryable, groups: readonly number[]): Promise<EnforcementRow[]> {
  const rows = await q.all<EnforcementRow>(
    `WITH RECURSIVE g(id) AS (SELECT id FROM groups WHERE id IN (${rowPlaceholders(groups.length, 1)}) UNION SELECT parent FROM groups JOIN g ON groups.id = g.id WHERE parent IS NOT NULL)
     SELECT e.id, e.policy, p.type, p.argument, COALESCE(e.rec_fail, p.rec_fail) AS rec_fail,
            COALESCE(e.rec_noresult, p.rec_noresult) AS rec_noresult, e.max_age, p.file, p.dir
     FROM enforcements e JOIN policies p ON p.id = e.policy WHERE e.group_id IN (SELECT id FROM g) ORDER BY e.id`,
    ...groups,
  );
  const byPolicy = new Map<number, EnforcementRow>();
  for (const r of rows) if (!byPolicy.has(r.policy)) byPolicy.set(r.policy, r);
  return [...byPolicy.values()];
}

/** strongSwan's imv_policy_manager.c: skip the policy if the device passed it (ALLOW) within max_age seconds. */
async function recentlyAllowed(q: Queryable, device: number, e: EnforcementRow, now: number): Promise<boolean> {
  if (e.max_age <= 0) return false;
  return (
    (await q.get(
      `SELECT 1 FROM results r JOIN sessions s ON s.id = r.session
     WHERE r.policy = ? AND r.rec = ? AND s.device = ? AND s.time > ? LIMIT 1`,
      e.policy,
      Recommendation.ALLOW,
      device,
      now - e.max_age,
    )) !== undefined
  );
}

/** The device's last SWIMA event ID in its newest epoch, 0 when none is stored. */
async function lastSwEventId(q: Queryable, device: number): Promise<number> {
  const row = await q.get<{ eid: number }>(
    `SELECT eid FROM sw_events WHERE device = ?
       AND epoch = (SELECT epoch FROM sw_events WHERE device = ? ORDER BY id DESC LIMIT 1)
     ORDER BY eid DESC LIMIT 1`,
    device,
    device,
  );
  return row?.eid ?? 0;
}

async function argInt(q: Queryable, device: number | null, e: EnforcementRow): Promise<number> {
  // strongSwan's imv_policy_manager.c: SWIDT with 'R' asks for events from the device's last EID + 1 (1 if none)
  if (e.type === WorkitemType.SWIDT && e.argument.includes('R'))
    return device === null ? 1 : (await lastSwEventId(q, device)) + 1;
  if (FILE_TYPES.has(e.type)) return e.file ?? 0;
  if (DIR_TYPES.has(e.type)) return e.dir ?? 0;
  return 0;
}

/** Policy manager start (strongSwan's imv_policy_manager.c): turns the session's enforcements into workitems. */
export function createWorkitems(db: Db, sessionId: number, now: number): Promise<Workitem[]> {
  return db.tx(async (q) => {
    const s = await q.get<{ device: number | null; product: number | null }>(
      'SELECT device, product FROM sessions WHERE id = ?',
      sessionId,
    );
    if (!s) throw new PolicyStoreError(`no session ${sessionId}`);
    for (const e of await enforcementsFor(q, await seedGroups(q, s.device, s.product))) {
      const recent = s.device !== null && (await recentlyAllowed(q, s.device, e, now));
      // A recent pass is claimed by a Device ID that any endpoint can send. TPM attestation is skipped
      // only after this session proves the same AK: a quote over BIOS evidence alone, the IMA list spared.
      if (recent && e.type !== WorkitemType.TPMRA) continue;
      await q.run(
        `INSERT INTO workitems (session, enforcement, type, arg_str, arg_int, rec_fail, rec_noresult) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        sessionId,
        e.id,
        e.type,
        recent ? 'B' : e.argument,
        await argInt(q, s.device, e),
        e.rec_fail,
        e.rec_noresult,
      );
    }
    return listWorkitems(q, sessionId);
  });
}

export async function listWorkitems(q: Queryable, sessionId: number, type?: WorkitemType): Promise<Workitem[]> {
  const rows =
    type === undefined
      ? await q.all<WorkitemRow>('SELECT * FROM workitems WHERE session = ? ORDER BY id', sessionId)
      : await q.all<WorkitemRow>('SELECT * FROM workitems WHERE session = ? AND type = ? ORDER BY id', sessionId, type);
  return rows.map(toWorkitem);
}

export async function setWorkitemResult(
  q: Queryable,
  id: number,
  recFinal: Recommendation,
  result: string,
): Promise<void> {
  const { changes } = await q.run('UPDATE workitems SET rec_final = ?, result = ? WHERE id = ?', recFinal, result, id);
  if (changes === 0) throw new PolicyStoreError(`no workitem ${id}`);
}

/** Without a recommendation from the caller: the most severe workitem verdict, pending ones counting as rec_noresult. */
function sessionRecommendation(items: readonly Workitem[]): Recommendation {
  const verdicts = items.map((w) => ({ ...NO_VERDICT, rec: w.recFinal ?? w.recNoResult }));
  return mergeVerdicts('default', verdicts).rec;
}

/** Policy manager stop (strongSwan's imv_policy_manager.c): archive results, delete the workitems, store the session's recommendation. */
export function stopSession(db: Db, sessionId: number, rec?: Recommendation): Promise<Recommendation> {
  return db.tx(async (q) => {
    if (!(await q.get('SELECT 1 FROM sessions WHERE id = ?', sessionId)))
      throw new PolicyStoreError(`no session ${sessionId}`);
    const final = rec ?? sessionRecommendation(await listWorkitems(q, sessionId));
    await q.run(
      `INSERT INTO results (session, policy, rec, result)
       SELECT w.session, e.policy, w.rec_final, w.result FROM workitems w JOIN enforcements e ON e.id = w.enforcement
       WHERE w.session = ? AND w.rec_final IS NOT NULL ORDER BY w.id`,
      sessionId,
    );
    await q.run('DELETE FROM workitems WHERE session = ?', sessionId);
    await q.run('UPDATE sessions SET rec = ? WHERE id = ?', final, sessionId);
    return final;
  });
}
