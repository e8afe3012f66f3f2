import { DebianVersionError, parseDebianVersion } from './debian-version';
import type { SecurityVersion } from './packages';

/** A package source that cannot be read: names the line. */
export class PackageSourceError extends Error {
  override readonly name = 'PackageSourceError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

// Debian Policy 5.6.1: package names are lower case letters, digits, + - . (two or more, starting alphanumeric)
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

function checked(name: string, version: string, line: number): SecurityVersion {
  if (!PACKAGE_NAME.test(name)) throw new PackageSourceError(line, `'${name}' is not a Debian package name`);
  try {
    parseDebianVersion(version);
  } catch (e) {
    if (e instanceof DebianVersionError) throw new PackageSourceError(line, `package ${name}: ${e.message}`);
    throw e;
  }
  return { name, version };
}

/**
 * An apt `Packages` index (Debian Policy 5.1 control file syntax, one paragraph per package, e.g.
 * dists/bookworm-security/main/binary-amd64/Packages): the Package and Version of each paragraph.
 */
export function parseAptPackagesIndex(text: string): SecurityVersion[] {
  const out: SecurityVersion[] = [];
  let fields = new Map<string, string>();
  let start = 0;
  const lines = text.split('\n');
  const flush = (): void => {
    if (fields.size === 0) return;
    const name = fields.get('package');
    const version = fields.get('version');
    if (name === undefined || version === undefined)
      throw new PackageSourceError(start, `paragraph without ${name === undefined ? 'Package' : 'Version'} field`);
    out.push(checked(name, version, start));
    fields = new Map();
  };
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return flush();
    if (line[0] === ' ' || line[0] === '\t') return; // continuation of a multi-line field
    const colon = line.indexOf(':');
    if (colon <= 0) throw new PackageSourceError(i + 1, `not a 'Field: value' line`);
    if (fields.size === 0) start = i + 1;
    // Debian Policy 5.1: field names are case-insensitive
    fields.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  });
  flush();
  return out;
}

/** A plain list: `NAME VERSION` per line (as `dpkg-query -W` prints); blank lines and `#` comments skipped. */
export function parsePackageList(text: string): SecurityVersion[] {
  const out: SecurityVersion[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw new PackageSourceError(i + 1, `expected 'NAME VERSION', got ${parts.length} words`);
    out.push(checked(parts[0], parts[1], i + 1));
  });
  return out;
}
