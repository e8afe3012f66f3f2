export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
}

export interface DpkgStatus {
  readonly packages: InstalledPackage[];
  /** Stanzas with status "install ok installed" but no Package or Version field. */
  readonly incomplete: number;
}

type Stanza = Map<string, string>;

/** deb822 paragraphs: "Field: value" lines, continuation lines start with a space or tab, blank lines separate. */
function* stanzas(text: string): Generator<Stanza> {
  let cur: Stanza = new Map();
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (cur.size > 0) yield cur;
      cur = new Map();
    } else if (line[0] !== ' ' && line[0] !== '\t') {
      const colon = line.indexOf(':');
      if (colon > 0) cur.set(line.slice(0, colon), line.slice(colon + 1).trim());
    }
  }
  if (cur.size > 0) yield cur;
}

/** Installed packages from dpkg's status file (/var/lib/dpkg/status), in file order. */
export function parseDpkgStatus(text: string): DpkgStatus {
  const packages: InstalledPackage[] = [];
  let incomplete = 0;
  for (const s of stanzas(text)) {
    // like `dpkg-query --show` as strongSwan's OS IMC runs it: only fully installed packages count
    if (s.get('Status') !== 'install ok installed') continue;
    const name = s.get('Package');
    const version = s.get('Version');
    if (!name || !version) {
      incomplete++;
      continue;
    }
    packages.push({ name, version, architecture: s.get('Architecture') ?? '' });
  }
  return { packages, incomplete };
}
