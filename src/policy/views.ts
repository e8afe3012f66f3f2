import Database from 'better-sqlite3';
import { Sql } from '../db/sql';
import { Evaluation, Recommendation } from '../tnccs/types';
import { PolicyStoreError } from './schema';
import { splitPath } from './attestation';
import { WorkitemType } from './workitem-types';
import type { DeviceInfo } from './store';

/** The schema version the views read (schema.ts V3: handshakes). */
export const VIEWS_SCHEMA = 3;

export interface ImvVerdictView {
  readonly imv: string;
  readonly rec: Recommendation;
  readonly evaluation: Evaluation;
  readonly reason: string | null;
}

/** One PB-TNC handshake with its device (from the policy session it ran) and verdicts. */
export interface HandshakeView {
  readonly id: number;
  readonly startedMs: number;
  /** Null while it runs. */
  readonly durationMs: number | null;
  readonly transport: string;
  readonly identity: string | null;
  readonly deviceId: number | null;
  readonly device: string | null;
  readonly product: string | null;
  /** Null when the server sent no RESULT (the client left, or the handshake still runs). */
  readonly rec: Recommendation | null;
  readonly evaluation: Evaluation | null;
  readonly reasons: string[];
  readonly imvs: ImvVerdictView[];
}

export type VerdictFilter = 'allow' | 'isolate' | 'no access' | 'no recommendation' | 'none';
const FILTER_REC: Record<VerdictFilter, Recommendation | null> = {
  allow: Recommendation.ALLOW,
  isolate: Recommendation.ISOLATE,
  'no access': Recommendation.NO_ACCESS,
  'no recommendation': Recommendation.NO_RECOMMENDATION,
  none: null,
};
export const VERDICT_FILTERS = Object.keys(FILTER_REC) as VerdictFilter[];

export interface HandshakeFilter {
  /** devices.id */
  readonly deviceId?: number;
  readonly verdict?: VerdictFilter;
  readonly limit?: number;
}

export interface DeviceSummary extends DeviceInfo {
  readonly handshakes: number;
  readonly lastRec: Recommendation | null;
  readonly lastSeenMs: number | null;
}

export interface SwEventView {
  readonly epoch: number;
  readonly eid: number;
  readonly timestamp: string;
  readonly action: number;
  readonly swId: string;
}

/** A workitem result archived for a session (results table) with its policy. */
export interface CheckResult {
  readonly session: number;
  readonly time: number;
  readonly policy: string;
  readonly type: WorkitemType;
  readonly rec: Recommendation;
  readonly result: string;
}

export interface ImaFileView {
  readonly path: string;
  readonly verdict: string;
  readonly algorithm: string | null;
  /** The IMA template hash received, hex; null when only the result text named the file. */
  readonly measurement: string | null;
  /** Reference file hashes of the session's product for this path, hex. */
  readonly references: string[];
}

export interface EnforcementView {
  readonly id: number;
  readonly policy: string;
  readonly type: WorkitemType;
  readonly argument: string;
  readonly group: string;
  readonly recFail: Recommendation;
  readonly recNoResult: Recommendation;
  readonly maxAge: number;
}

export interface WorkitemView {
  readonly id: number;
  readonly session: number;
  readonly device: string | null;
  readonly type: WorkitemType;
  readonly argStr: string;
  readonly recFinal: Recommendation | null;
  readonly result: string | null;
}

interface HandshakeRow {
  id: number;
  started_ms: number;
  ended_ms: number | null;
  transport: string;
  identity: string | null;
  device_id: number | null;
  device: string | null;
  product: string | null;
  rec: number | null;
  evaluation: number | null;
  reasons: string;
}

// the newest policy session a handshake ran (a CRETRY starts another on the same handshake)
const HANDSHAKE_SELECT = `SELECT h.id, h.started_ms, h.ended_ms, h.transport, h.identity, d.id AS device_id, d.value AS device,
    p.name AS product, h.rec, h.evaluation, h.reasons
  FROM handshakes h LEFT JOIN sessions s ON s.id = (SELECT MAX(id) FROM sessions WHERE handshake = h.id)
  LEFT JOIN devices d ON d.id = s.device LEFT JOIN products p ON p.id = s.product`;

const hex = (b: Buffer | null): string | null => (b === null ? null : b.toString('hex'));

/**
 * What the lab dashboard reads from the policy database: handshakes, devices with their SWIMA
 * inventory and attestation results, enforcements and workitems. Only SELECTs; over a read-only
 * connection when opened with `openReadOnly`.
 */
export class PolicyViews {
  constructor(private readonly sql: Sql) {
    const v = sql.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version')?.v ?? 0;
    if (v < VIEWS_SCHEMA) {
      throw new PolicyStoreError(
        `policy database schema version ${v} is older than the dashboard reads (${VIEWS_SCHEMA}); open it once with this tnc-agent (e.g. \`tnc-agent db show sessions --db FILE\`) to migrate it`,
      );
    }
  }

  /** A read-only connection to the database at `path` (the server may be writing it: WAL allows that). */
  static openReadOnly(path: string): PolicyViews {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return new PolicyViews(new Sql(db));
    } catch (e) {
      db.close();
      throw e;
    }
  }

  close(): void {
    this.sql.db.close();
  }

  /** Changes whenever a handshake starts or ends: what live pages poll. */
  changeToken(): string {
    const r = this.sql.get<{ n: number | null; e: number }>(
      'SELECT MAX(id) AS n, COUNT(ended_ms) AS e FROM handshakes',
    )!;
    return `${r.n ?? 0}.${r.e}`;
  }

  /** Newest first. */
  handshakes(f: HandshakeFilter = {}): HandshakeView[] {
    const rec = f.verdict === undefined ? undefined : FILTER_REC[f.verdict];
    const rows = this.sql.all<HandshakeRow>(
      `SELECT * FROM (${HANDSHAKE_SELECT}) WHERE (? IS NULL OR device_id = ?)
       AND (? = 0 OR (? = 1 AND rec IS NULL) OR rec = ?) ORDER BY id DESC LIMIT ?`,
      f.deviceId ?? null,
      f.deviceId ?? null,
      f.verdict === undefined ? 0 : 1,
      rec === null ? 1 : 0,
      rec ?? null,
      f.limit ?? 200,
    );
    return rows.map((r) => this.toHandshake(r));
  }

  private toHandshake(r: HandshakeRow): HandshakeView {
    const imvs = this.sql.all<ImvVerdictView>(
      'SELECT imv, rec, evaluation, reason FROM handshake_imvs WHERE handshake = ? ORDER BY imv_id',
      r.id,
    );
    let reasons: string[] = [];
    try {
      const parsed: unknown = JSON.parse(r.reasons);
      if (Array.isArray(parsed)) reasons = parsed.map(String);
    } catch {
      reasons = [];
    }
    return {
      id: r.id,
      startedMs: r.started_ms,
      durationMs: r.ended_ms === null ? null : r.ended_ms - r.started_ms,
      transport: r.transport,
      identity: r.identity,
      deviceId: r.device_id,
      device: r.device,
      product: r.product,
      rec: r.rec,
      evaluation: r.evaluation,
      reasons,
      imvs,
    };
  }

  devices(): DeviceSummary[] {
    return this.sql
      .all<Omit<DeviceSummary, 'trusted'> & { trusted: number }>(
        `SELECT d.id, d.value, p.name AS product, d.trusted, d.created, d.description,
         (SELECT COUNT(DISTINCT s.handshake) FROM sessions s WHERE s.device = d.id) AS handshakes,
         (SELECT h.rec FROM handshakes h JOIN sessions s ON s.handshake = h.id WHERE s.device = d.id ORDER BY h.id DESC LIMIT 1) AS lastRec,
         (SELECT MAX(h.started_ms) FROM handshakes h JOIN sessions s ON s.handshake = h.id WHERE s.device = d.id) AS lastSeenMs
       FROM devices d LEFT JOIN products p ON p.id = d.product ORDER BY d.id`,
      )
      .map((d) => ({ ...d, trusted: d.trusted !== 0 }));
  }

  device(id: number): DeviceInfo | undefined {
    const d = this.sql.get<Omit<DeviceInfo, 'trusted'> & { trusted: number }>(
      'SELECT d.id, d.value, p.name AS product, d.trusted, d.created, d.description FROM devices d LEFT JOIN products p ON p.id = d.product WHERE d.id = ?',
      id,
    );
    return d && { ...d, trusted: d.trusted !== 0 };
  }

  swState(deviceId: number): { epoch: number; lastEid: number; time: number } | undefined {
    return this.sql.get('SELECT epoch, last_eid AS lastEid, time FROM sw_state WHERE device = ?', deviceId);
  }

  inventory(deviceId: number): string[] {
    return this.sql
      .all<{ sw_id: string }>('SELECT sw_id FROM sw_inventory WHERE device = ? ORDER BY sw_id', deviceId)
      .map((r) => r.sw_id);
  }

  /** Event records of the device's current epoch with an EID of at least `sinceEid`, oldest first. */
  swEvents(deviceId: number, sinceEid = 0): SwEventView[] {
    return this.sql.all<SwEventView>(
      `SELECT r.epoch, r.eid, e.timestamp, r.action, r.sw_id AS swId FROM sw_event_records r
       JOIN sw_events e ON e.device = r.device AND e.epoch = r.epoch AND e.eid = r.eid
       WHERE r.device = ? AND r.eid >= ? AND r.epoch = COALESCE((SELECT epoch FROM sw_state WHERE device = ?), r.epoch) ORDER BY r.id`,
      deviceId,
      sinceEid,
      deviceId,
    );
  }

  /** Archived workitem results of the device's sessions, newest first. */
  results(deviceId: number, type?: WorkitemType, limit = 200): CheckResult[] {
    return this.sql.all<CheckResult>(
      `SELECT r.session, s.time, p.name AS policy, p.type, r.rec, r.result FROM results r
       JOIN sessions s ON s.id = r.session JOIN policies p ON p.id = r.policy
       WHERE s.device = ? AND (? IS NULL OR p.type = ?) ORDER BY r.id DESC LIMIT ?`,
      deviceId,
      type ?? null,
      type ?? null,
      limit,
    );
  }

  /** The device's newest attestation (TPMRA result). */
  lastAttestation(deviceId: number): CheckResult | undefined {
    return this.results(deviceId, WorkitemType.TPMRA, 1)[0];
  }

  /**
   * The IMA file results of an attestation session that were not ok: those recorded per file
   * (AttestationStore.recordImaFile) or, without them, the files its result text names as differing.
   */
  imaFiles(session: number, resultText: string): ImaFileView[] {
    const product =
      this.sql.get<{ product: number | null }>('SELECT product FROM sessions WHERE id = ?', session)?.product ?? null;
    const rows = this.sql.all<{ path: string; verdict: string; algorithm: string | null; measurement: Buffer | null }>(
      'SELECT path, verdict, algorithm, measurement FROM ima_results WHERE session = ? ORDER BY id',
      session,
    );
    const files =
      rows.length > 0
        ? rows
        : differingInText(resultText).map((path) => ({ path, verdict: 'differ', algorithm: null, measurement: null }));
    return files.map((f) => ({ ...f, measurement: hex(f.measurement), references: this.references(product, f.path) }));
  }

  private references(product: number | null, path: string): string[] {
    if (product === null) return [];
    const [dir, name] = splitPath(path);
    return this.sql
      .all<{ hash: Buffer }>(
        `SELECT h.hash FROM directories d JOIN files f ON f.dir = d.id JOIN file_hashes h ON h.file = f.id AND h.product = ?
       WHERE d.path = ? AND f.name = ? ORDER BY h.algo, h.id`,
        product,
        dir,
        name,
      )
      .map((r) => r.hash.toString('hex'));
  }

  enforcements(): EnforcementView[] {
    return this.sql.all<EnforcementView>(
      `SELECT e.id, p.name AS policy, p.type, p.argument, g.name AS "group", COALESCE(e.rec_fail, p.rec_fail) AS recFail,
         COALESCE(e.rec_noresult, p.rec_noresult) AS recNoResult, e.max_age AS maxAge
       FROM enforcements e JOIN policies p ON p.id = e.policy JOIN groups g ON g.id = e.group_id ORDER BY e.id`,
    );
  }

  /** Workitems of sessions still running (policy manager stop archives and deletes them). */
  workitems(): WorkitemView[] {
    return this.sql.all<WorkitemView>(
      `SELECT w.id, w.session, d.value AS device, w.type, w.arg_str AS argStr, w.rec_final AS recFinal, w.result
       FROM workitems w JOIN sessions s ON s.id = w.session LEFT JOIN devices d ON d.id = s.device ORDER BY w.id DESC LIMIT 500`,
    );
  }

  /** The newest archived results of every device. */
  recentResults(limit = 100): (CheckResult & { device: string | null; deviceId: number | null })[] {
    return this.sql.all(
      `SELECT r.session, s.time, p.name AS policy, p.type, r.rec, r.result, d.value AS device, d.id AS deviceId FROM results r
       JOIN sessions s ON s.id = r.session JOIN policies p ON p.id = r.policy LEFT JOIN devices d ON d.id = s.device
       ORDER BY r.id DESC LIMIT ?`,
      limit,
    );
  }
}

/** evidence.ts writes "N IMA file measurements differ from the reference hashes: a, b" (at most five names). */
export function differingInText(text: string): string[] {
  const m = /IMA file measurements differ from the reference hashes: (.*?)(?:; |$)/s.exec(text);
  return m ? m[1].split(', ').filter((p) => p.length > 0) : [];
}

export interface ImaCounts {
  readonly ok: number;
  readonly unknown: number;
  readonly differ: number;
  readonly failed: number;
}

/** The counts of "processed N IMA file evidence measurements: a ok, b unknown, c differ, d failed". */
export function imaCountsInText(text: string): ImaCounts | undefined {
  const m = /IMA file evidence measurements: (\d+) ok, (\d+) unknown, (\d+) differ, (\d+) failed/.exec(text);
  return m ? { ok: Number(m[1]), unknown: Number(m[2]), differ: Number(m[3]), failed: Number(m[4]) } : undefined;
}

export type BiosStatus = 'registered' | 'ok' | 'differs' | 'not checked';

/** BIOS and boot aggregate status as the attestation result text states them. */
export function bootStatusInText(text: string): { bios: BiosStatus; bootAggregate: BiosStatus } {
  const bios: BiosStatus = /registered \d+ BIOS evidence/.test(text)
    ? 'registered'
    : /BIOS evidence measurements are ok/.test(text)
      ? 'ok'
      : /BIOS evidence measurements (checked, not all ok|differ|missing)/.test(text)
        ? 'differs'
        : 'not checked';
  const bootAggregate: BiosStatus =
    /boot aggregate (computed over PCR0\.\.PCR\d+ does not match|evidence measurement differ|cannot be computed)|not a boot_aggregate/.test(
      text,
    )
      ? 'differs'
      : /registered IMA boot aggregate/.test(text)
        ? 'registered'
        : /processed \d+ IMA file evidence/.test(text)
          ? 'ok'
          : 'not checked';
  return { bios, bootAggregate };
}
