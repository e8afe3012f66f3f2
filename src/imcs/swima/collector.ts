import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SW_ACTION } from '../../protocol/pa-tnc/swima';
import { readHistory, PackageChange } from './history';
import { DEFAULT_TAG_CREATOR, softwareId, SwOs, TagCreator } from './sw-id';
import type { NewEvent, SwimaStore } from './store';

export interface CollectorOptions {
  /** Root of the dpkg tree: '/' on a host, a fixture directory in tests. */
  readonly root: string;
  readonly store: SwimaStore;
  readonly os: SwOs;
  readonly creator?: TagCreator;
  readonly now?: () => number;
}

/** A package dpkg reports as installed, under the identifier we give it. */
interface InstalledSw {
  readonly swId: string;
  readonly package: string;
  readonly version: string;
  /** SHA-1 of its status stanza: a change with the same identifier is an alteration. */
  readonly fingerprint: string;
}

/** RFC 8412 event timestamps: RFC 3339 UTC to the second, 20 characters. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const statusPath = (root: string): string => join(root, 'var/lib/dpkg/status');

/**
 * Turns dpkg's state into SWIMA events. The first pass over an empty store imports the history from
 * dpkg's (or apt's) log with the real times, preceded by creations for what was installed before the
 * log begins; every later pass compares dpkg's status with the store: creations, deletions, alterations.
 */
export class SwCollector {
  private readonly creator: TagCreator;
  private readonly now: () => number;
  private running: Promise<number> = Promise.resolve(0);

  constructor(private readonly o: CollectorOptions) {
    this.creator = o.creator ?? DEFAULT_TAG_CREATOR;
    this.now = o.now ?? Date.now;
  }

  get store(): SwimaStore {
    return this.o.store;
  }

  /** RFC 8412 5.14: what this source is, for a Source Metadata Response (human-readable). */
  get description(): string {
    return `dpkg status database ${statusPath(this.o.root)}, identifiers of tag creator ${this.creator.regid}`;
  }

  /** One pass; passes never overlap. Resolves to the number of events recorded. */
  collect(): Promise<number> {
    this.running = this.running.catch(() => 0).then(() => this.pass());
    return this.running;
  }

  private async pass(): Promise<number> {
    const current = await this.installed();
    const events = this.o.store.isEmpty()
      ? await this.firstRun(current)
      : this.changes(current, this.o.store.installedFingerprints(), this.now());
    return this.o.store.append(events).length;
  }

  /** dpkg's status file, "install ok installed" stanzas only, keyed by software identifier. */
  private async installed(): Promise<Map<string, InstalledSw>> {
    const text = await readFile(statusPath(this.o.root), 'utf8');
    const out = new Map<string, InstalledSw>();
    for (const stanza of text.split(/\n[ \t]*\n/)) {
      const field = (f: string): string | undefined => new RegExp(`^${f}: *(.*)$`, 'm').exec(stanza)?.[1].trim();
      const pkg = field('Package');
      const version = field('Version');
      if (field('Status') !== 'install ok installed' || !pkg || !version) continue;
      const swId = this.id(pkg, version);
      out.set(swId, {
        swId,
        package: pkg,
        version,
        fingerprint: createHash('sha1').update(stanza.trim()).digest('hex'),
      });
    }
    return out;
  }

  private id(pkg: string, version: string): string {
    return softwareId(this.creator, this.o.os, pkg, version);
  }

  private event(
    action: number,
    pkg: string,
    version: string,
    time: number,
    current: Map<string, InstalledSw>,
  ): NewEvent {
    const swId = this.id(pkg, version);
    return {
      timestamp: rfc3339(time),
      action,
      swId,
      package: pkg,
      version,
      fingerprint: current.get(swId)?.fingerprint,
    };
  }

  /** Store state vs dpkg's: deletions first, so an upgrade reads as deletion of the old + creation of the new. */
  private changes(current: Map<string, InstalledSw>, stored: Map<string, string>, time: number): NewEvent[] {
    // byte order, as `gone`'s sort(): the same in every locale
    const byId = (a: InstalledSw, b: InstalledSw): number => (a.swId < b.swId ? -1 : a.swId > b.swId ? 1 : 0);
    const gone = [...stored.keys()].filter((id) => !current.has(id)).sort();
    const added = [...current.values()].filter((p) => !stored.has(p.swId)).sort(byId);
    const altered = [...current.values()]
      .filter((p) => stored.has(p.swId) && stored.get(p.swId) !== p.fingerprint)
      .sort(byId);
    const storedPkg = (id: string): NewEvent => ({
      timestamp: rfc3339(time),
      action: SW_ACTION.DELETION,
      swId: id,
      package: '',
      version: '',
    });
    return [
      ...gone.map(storedPkg),
      ...added.map((p) => this.event(SW_ACTION.CREATION, p.package, p.version, time, current)),
      ...altered.map((p) => this.event(SW_ACTION.ALTERATION, p.package, p.version, time, current)),
    ];
  }

  private async firstRun(current: Map<string, InstalledSw>): Promise<NewEvent[]> {
    const history = await readHistory(this.o.root);
    const state = stateBefore(current, history);
    const start = history[0]?.time ?? this.now();
    const events = [...state]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([pkg, v]) => this.event(SW_ACTION.CREATION, pkg, v, start, current));
    for (const c of history) events.push(...this.replay(state, c, current));
    // what the logs do not explain (rotated away, changes without dpkg) is recorded now
    const replayed = new Map(
      [...state].map(([pkg, v]) => [this.id(pkg, v), current.get(this.id(pkg, v))?.fingerprint ?? '']),
    );
    return [...events, ...this.changes(current, replayed, this.now())];
  }

  /** One logged change applied to `state` (package → installed version), as events. */
  private replay(state: Map<string, string>, c: PackageChange, current: Map<string, InstalledSw>): NewEvent[] {
    const had = state.get(c.package);
    if (c.oldVersion && c.oldVersion === c.newVersion)
      return had === c.newVersion ? [this.event(SW_ACTION.ALTERATION, c.package, c.newVersion, c.time, current)] : [];
    const out: NewEvent[] = [];
    if (had !== undefined && (had === c.oldVersion || c.newVersion))
      out.push(this.event(SW_ACTION.DELETION, c.package, had, c.time, current));
    if (c.newVersion) {
      out.push(this.event(SW_ACTION.CREATION, c.package, c.newVersion, c.time, current));
      state.set(c.package, c.newVersion);
    } else if (had === c.oldVersion) {
      state.delete(c.package);
    }
    return out;
  }
}

/** Undoes the logged changes, newest first, from dpkg's current state: what was installed before the log began. */
function stateBefore(current: Map<string, InstalledSw>, history: readonly PackageChange[]): Map<string, string> {
  const state = new Map([...current.values()].map((p) => [p.package, p.version]));
  for (const c of [...history].reverse()) {
    if (c.oldVersion) state.set(c.package, c.oldVersion);
    else state.delete(c.package);
  }
  return state;
}
