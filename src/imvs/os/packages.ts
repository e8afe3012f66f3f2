import type { Logger } from '../../log';
import type { InstalledPackage } from '../../protocol/pa-tnc/ietf/ports-packages';
import { Evaluation } from '../../tnccs/types';
import { compareDebianVersions, DebianVersionError, parseDebianVersion } from '../../policy/debian-version';
import { PackageStore } from '../../policy/packages';
import type { PolicyStore } from '../../policy/store';

/** How an installed package version stands against the package database. */
export type PackageState = 'ok' | 'unknown' | 'vulnerable' | 'blocklisted';

interface Judged {
  readonly pkg: InstalledPackage;
  readonly state: PackageState;
  /** vulnerable: the security version it is below, or why its version cannot be judged. */
  readonly why?: string;
}

const LISTED = 20; // packages named in the result text; the log names every one

/**
 * The PCKGS workitem (RFC 5792 4.2.7 Installed Packages): each installed package is blocklisted,
 * vulnerable (its version is below the newest security version stored for the product), ok (at or
 * above it) or unknown (no security version stored). Any vulnerable or blocklisted package fails it.
 */
export async function evaluatePackages(
  store: PolicyStore,
  product: string | undefined,
  packages: readonly InstalledPackage[],
  log: Logger,
): Promise<[Evaluation, string]> {
  const db = new PackageStore(store);
  const security = product === undefined ? new Map<string, string>() : await db.securityVersions(product);
  const blocked = await db.blocklisted();
  const judged = packages.map((p) => judge(p, security.get(p.name), blocked.has(p.name)));
  const count = (s: PackageState) => judged.filter((j) => j.state === s).length;
  for (const j of judged) {
    if (j.state === 'vulnerable') log.info('IMV', `package '${j.pkg.name}' (${j.pkg.version}) is vulnerable: ${j.why}`);
    if (j.state === 'blocklisted') log.info('IMV', `package '${j.pkg.name}' (${j.pkg.version}) is blocklisted`);
  }
  const summary = `${packages.length} packages checked: ${count('ok')} ok, ${count('unknown')} unknown, ${count('vulnerable')} vulnerable, ${count('blocklisted')} blocklisted`;
  const failed = [
    listOf(
      judged.filter((j) => j.state === 'vulnerable'),
      'vulnerable',
      (j) => `${j.pkg.name} ${j.pkg.version} (${j.why})`,
    ),
    listOf(
      judged.filter((j) => j.state === 'blocklisted'),
      'blocklisted',
      (j) => j.pkg.name,
    ),
  ].filter((s) => s !== '');
  return failed.length > 0
    ? [Evaluation.NONCOMPLIANT_MAJOR, `${failed.join('; ')}; ${summary}`]
    : [Evaluation.COMPLIANT, summary];
}

function judge(pkg: InstalledPackage, securityVersion: string | undefined, blocklisted: boolean): Judged {
  if (blocklisted) return { pkg, state: 'blocklisted' };
  if (securityVersion === undefined) return { pkg, state: 'unknown' };
  try {
    const below = compareDebianVersions(parseDebianVersion(pkg.version), parseDebianVersion(securityVersion)) < 0;
    return below ? { pkg, state: 'vulnerable', why: `security update ${securityVersion}` } : { pkg, state: 'ok' };
  } catch (e) {
    // a version we cannot order cannot be shown to carry the security update
    if (e instanceof DebianVersionError)
      return { pkg, state: 'vulnerable', why: `not a Debian version, security update ${securityVersion}` };
    throw e;
  }
}

function listOf(items: Judged[], what: string, show: (j: Judged) => string): string {
  if (items.length === 0) return '';
  const more = items.length > LISTED ? `, and ${items.length - LISTED} more` : '';
  return `${items.length} ${what} packages: ${items.slice(0, LISTED).map(show).join(', ')}${more}`;
}
