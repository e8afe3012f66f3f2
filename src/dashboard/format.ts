import { SW_ACTION } from '../protocol/pa-tnc/swima';
import { evaluationName, Recommendation, recommendationName, type Evaluation } from '../tnccs/types';

/** The verdict as people read it; null = the server sent no RESULT. */
export const verdictName = (r: Recommendation | null): string => (r === null ? 'none' : recommendationName(r));
export const evaluationText = (e: Evaluation | null): string => (e === null ? '-' : evaluationName(e));
/** CSS class of a verdict badge (one word). */
export const verdictClass = (r: Recommendation | null): string =>
  r === null ? 'v-none' : `v-${recommendationName(r).replace(/ /g, '-')}`;

export const VERDICT_COLOURS: Record<string, string> = {
  allow: '#2e7d32',
  isolate: '#ef6c00',
  'no access': '#c62828',
  'no recommendation': '#757575',
  none: '#bdbdbd',
};

/** UTC, to the second: the lab's logs and the SWIMA timestamps are UTC too. */
export const timeText = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');

export const durationText = (ms: number | null): string =>
  ms === null ? 'running' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;

export const ACTION_NAMES: Record<number, string> = {
  [SW_ACTION.CREATION]: 'installed',
  [SW_ACTION.DELETION]: 'removed',
  [SW_ACTION.ALTERATION]: 'updated',
};

/**
 * A SWIMA software ID split for display: `<regid>__<OS>-<Arch>-<package>-<version>` (sw-id.ts). Debian
 * versions start with a digit and hold at most one "-" (before the revision), so the version starts
 * at the first "-<digit>" after which that holds (libsqlite3-0-3.40.1-2 → libsqlite3-0, 3.40.1-2).
 * Anything else shows whole as the package.
 */
export function packageOf(swId: string): { name: string; version: string } {
  const tag = swId.slice(swId.indexOf('__') + 2);
  const rest = /^[^_]*_[^-]*-[^-]*-(.*)$/s.exec(tag)?.[1];
  if (rest === undefined) return { name: swId, version: '' };
  const splits = [...rest.matchAll(/-(?=\d)/g)].map((m) => m.index!);
  const at = splits.find((i) => /^\d[^-]*(-[^-]+)?$/s.test(rest.slice(i + 1))) ?? splits[0];
  return at === undefined ? { name: rest, version: '' } : { name: rest.slice(0, at), version: rest.slice(at + 1) };
}

export interface PackageChange {
  readonly eid: number;
  readonly timestamp: string;
  readonly action: 'installed' | 'removed' | 'updated' | string;
  readonly name: string;
  /** "2.0", or "1.0 → 2.0" for an update. */
  readonly version: string;
}

/**
 * SWIMA events as package changes: a package removed and installed again at the same time under
 * another version (dpkg's upgrade: two events, two software IDs) shows as one update.
 */
export function packageChanges(
  events: readonly { eid: number; timestamp: string; action: number; swId: string }[],
): PackageChange[] {
  const out: PackageChange[] = [];
  const removed = new Map<string, number>();
  for (const e of events) {
    const p = packageOf(e.swId);
    const key = `${e.timestamp}\0${p.name}`;
    const before = removed.get(key);
    if (e.action === SW_ACTION.CREATION && before !== undefined) {
      removed.delete(key);
      const old = out[before];
      out[before] = {
        eid: e.eid,
        timestamp: e.timestamp,
        action: 'updated',
        name: p.name,
        version: `${old.version} → ${p.version}`,
      };
      continue;
    }
    if (e.action === SW_ACTION.DELETION) removed.set(key, out.length);
    out.push({
      eid: e.eid,
      timestamp: e.timestamp,
      action: ACTION_NAMES[e.action] ?? `action ${e.action}`,
      name: p.name,
      version: p.version,
    });
  }
  // an update takes its installation's EID
  return out.sort((a, b) => a.eid - b.eid);
}
