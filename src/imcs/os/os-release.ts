/** os-release(5) key/value pairs; values unquoted and unescaped. Lines that are not assignments are ignored. */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) out.set(m[1], unquote(m[2].trim()));
  }
  return out;
}

// os-release(5): shell-compatible quoting; inside double quotes \" \\ \$ \` are escapes
function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
    const inner = v.slice(1, -1);
    return q === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
  }
  return v;
}

export interface OsIdentity {
  /** Product name as strongSwan's OS IMC sends it: its official name for a known distribution, else NAME. */
  readonly productName: string;
  /** SMI Private Enterprise Number of the distribution's vendor (0 = unknown/IETF). */
  readonly vendorId: number;
}

// Known distributions by NAME prefix, with the official names strongSwan's os_info.c uses. Vendor PENs
// (IANA enterprise-numbers) as strongSwan's pen.h lists them: Debian 9586 (also dsa.debian.org/iana),
// Canonical 28978, Fedora 30401, Red Hat 2312, Google 11129; no PEN known to us for SUSE/Gentoo.
const KNOWN: readonly [prefix: string, vendorId: number][] = [
  ['Debian', 9586],
  ['Ubuntu', 28978],
  ['Fedora', 30401],
  ['Red Hat', 2312],
  ['CentOS', 2312],
  ['SUSE', 0],
  ['Gentoo', 0],
  ['Android', 11129],
];

/** "Debian GNU/Linux" → Debian/9586 (matches the strongSwan 5.9.14 capture: vendor 0x002572, name 'Debian'). */
export function osIdentity(name: string): OsIdentity {
  const hit = KNOWN.find(([prefix]) => name.startsWith(prefix));
  return hit ? { productName: hit[0], vendorId: hit[1] } : { productName: name, vendorId: 0 };
}

/** RFC 5792 4.2.3 Numeric Version major/minor as strongSwan derives them: "20.04" → 20.4, "12" → 12.0. */
export function numericVersion(versionId: string): { major: number; minor: number } {
  const m = /^(\d*)(?:\.(\d*))?/.exec(versionId)!;
  const int = (s: string | undefined) => Math.min(Number(s || 0), 0xffffffff);
  return { major: int(m[1]), minor: int(m[2]) };
}
