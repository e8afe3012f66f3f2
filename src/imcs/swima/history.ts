import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One package change found in dpkg's or apt's log. Versions: '' where the log has none (<none>). */
export interface PackageChange {
  /** Unix milliseconds, the log's local time read in this process's time zone. */
  readonly time: number;
  readonly package: string;
  readonly oldVersion: string;
  readonly newVersion: string;
}

const NONE = '<none>';
const stripArch = (p: string): string => p.split(':')[0];

function localTime(date: string, time: string): number {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

// dpkg.log: "YYYY-MM-DD HH:MM:SS <action> <package>:<arch> <old version> <new version>" (dpkg(1) LOG FILE)
const DPKG_LINE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (install|upgrade|remove|purge) (\S+) (\S+) (\S+)$/;

/** install/upgrade/remove/purge lines of a dpkg.log; other lines (status, configure, trigproc) are skipped. */
export function parseDpkgLog(text: string): PackageChange[] {
  const out: PackageChange[] = [];
  for (const line of text.split('\n')) {
    const m = DPKG_LINE.exec(line.trim());
    if (!m) continue;
    const [, date, time, action, pkg, a, b] = m;
    const removal = action === 'remove' || action === 'purge';
    out.push({
      time: localTime(date, time),
      package: stripArch(pkg),
      oldVersion: removal ? a : a === NONE ? '' : a,
      newVersion: removal ? '' : b === NONE ? '' : b,
    });
  }
  return out;
}

// apt history.log: "Start-Date: YYYY-MM-DD  HH:MM:SS" then "Install:", "Upgrade:", "Remove:", "Purge:",
// "Downgrade:", "Reinstall:" lines listing "pkg:arch (version[, automatic])" or "pkg:arch (old, new)"
const ENTRY = /([^\s,]+) \(([^)]*)\)/g;

function aptEntries(kind: string, list: string, time: number): PackageChange[] {
  const out: PackageChange[] = [];
  for (const m of list.matchAll(ENTRY)) {
    const parts = m[2].split(', ').filter((p) => p !== 'automatic');
    const pkg = stripArch(m[1]);
    if (kind === 'Upgrade' || kind === 'Downgrade')
      out.push({ time, package: pkg, oldVersion: parts[0], newVersion: parts[1] ?? parts[0] });
    else if (kind === 'Remove' || kind === 'Purge')
      out.push({ time, package: pkg, oldVersion: parts[0], newVersion: '' });
    else if (kind === 'Reinstall') out.push({ time, package: pkg, oldVersion: parts[0], newVersion: parts[0] });
    else out.push({ time, package: pkg, oldVersion: '', newVersion: parts[0] });
  }
  return out;
}

/** The package changes of an apt history.log, each stamped with its Start-Date. */
export function parseAptHistory(text: string): PackageChange[] {
  const out: PackageChange[] = [];
  let time: number | undefined;
  for (const line of text.split('\n')) {
    const start = /^Start-Date: (\S+)\s+(\S+)/.exec(line);
    if (start) time = localTime(start[1], start[2]);
    const m = /^(Install|Upgrade|Downgrade|Remove|Purge|Reinstall): (.*)$/.exec(line);
    if (m && time !== undefined) out.push(...aptEntries(m[1], m[2], time));
  }
  return out;
}

/** `base`, `base.1`, `base.2.gz`, ... read oldest first; .gz files are gunzipped. */
async function rotated(dir: string, base: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const rank = (n: string): number =>
    n === base ? 0 : Number(/^\.(\d+)(?:\.gz)?$/.exec(n.slice(base.length))?.[1] ?? -1);
  const logs = names.filter((n) => n.startsWith(base) && rank(n) >= 0).sort((x, y) => rank(y) - rank(x));
  return Promise.all(
    logs.map(async (n) => {
      const raw = await readFile(join(dir, n));
      return (n.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    }),
  );
}

/**
 * The package history of a dpkg root, oldest first: dpkg's own log when there is one (it has every
 * change, apt's or not), else apt's history log; both with their rotated and gzipped generations.
 */
export async function readHistory(root: string): Promise<PackageChange[]> {
  const dpkg = (await rotated(join(root, 'var/log'), 'dpkg.log')).flatMap(parseDpkgLog);
  const changes =
    dpkg.length > 0 ? dpkg : (await rotated(join(root, 'var/log/apt'), 'history.log')).flatMap(parseAptHistory);
  return changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.time - b.c.time || a.i - b.i)
    .map(({ c }) => c);
}
