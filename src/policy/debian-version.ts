/**
 * Debian package versions, `[epoch:]upstream_version[-debian_revision]`, and their order
 * (Debian Policy 5.6.12). Versions come from endpoints and package indexes: parsing checks the
 * syntax and names what is wrong; comparing is linear in the lengths and never converts digit runs
 * to numbers (they may be longer than any integer type).
 */
export interface DebianVersion {
  /** Digits; '0' when absent. */
  readonly epoch: string;
  readonly upstream: string;
  /** '0' when absent (Policy 5.6.12: "equivalent to a debian_revision of 0"). */
  readonly revision: string;
}

export class DebianVersionError extends Error {
  override readonly name = 'DebianVersionError';
}

// Policy 5.6.12: upstream may hold alphanumerics and . + - ~ (a hyphen only when a revision
// follows, which the split at the last hyphen guarantees); the revision alphanumerics and + . ~
const UPSTREAM = /^[0-9][A-Za-z0-9.+~-]*$/;
const REVISION = /^[A-Za-z0-9.+~]+$/;
const MAX_LENGTH = 256;

export function parseDebianVersion(text: string): DebianVersion {
  if (text.length === 0 || text.length > MAX_LENGTH)
    throw new DebianVersionError(`version of ${text.length} characters (1 to ${MAX_LENGTH})`);
  const colon = text.indexOf(':');
  const epoch = colon < 0 ? '0' : text.slice(0, colon);
  if (!/^[0-9]+$/.test(epoch)) throw new DebianVersionError(`epoch '${epoch}' of '${text}' is not an unsigned integer`);
  const rest = text.slice(colon + 1);
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen < 0 ? rest : rest.slice(0, hyphen);
  const revision = hyphen < 0 ? '0' : rest.slice(hyphen + 1);
  if (!UPSTREAM.test(upstream))
    throw new DebianVersionError(
      `upstream version '${upstream}' of '${text}' does not start with a digit or holds a character other than A-Za-z0-9.+~-`,
    );
  if (!REVISION.test(revision))
    throw new DebianVersionError(
      `Debian revision '${revision}' of '${text}' is empty or holds a character other than A-Za-z0-9.+~`,
    );
  return { epoch, upstream, revision };
}

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareDebianVersions(a: DebianVersion, b: DebianVersion): number {
  return (
    compareDigitRuns(a.epoch, b.epoch) ||
    compareVersionPart(a.upstream, b.upstream) ||
    compareVersionPart(a.revision, b.revision)
  );
}

/** Parses both and compares; throws DebianVersionError for either that is no Debian version. */
export function compareDebianVersionStrings(a: string, b: string): number {
  return compareDebianVersions(parseDebianVersion(a), parseDebianVersion(b));
}

const isDigit = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39;

/** Where the run of digits (or of non-digits) starting at `from` ends. */
function runEnd(s: string, from: number, digits: boolean): number {
  let i = from;
  while (i < s.length && isDigit(s, i) === digits) i++;
  return i;
}

/**
 * Policy 5.6.12: from the left, a run of non-digits compared by the modified ASCII order, then a
 * run of digits compared numerically (an empty run counts as 0); repeat until a difference.
 */
function compareVersionPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const aText = runEnd(a, i, false);
    const bText = runEnd(b, j, false);
    const byText = compareNonDigits(a.slice(i, aText), b.slice(j, bText));
    if (byText !== 0) return byText;
    i = runEnd(a, aText, true);
    j = runEnd(b, bText, true);
    const byNumber = compareDigitRuns(a.slice(aText, i), b.slice(bText, j));
    if (byNumber !== 0) return byNumber;
  }
  return 0;
}

/** Policy 5.6.12: '~' sorts before anything, even the end of the part; letters before non-letters. */
function weight(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (c === 0x7e) return -1;
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return letter ? c : c + 0x100;
}

function compareNonDigits(a: string, b: string): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const d = weight(a, k) - weight(b, k);
    if (d !== 0) return d;
  }
  return 0;
}

/** Numeric order of two digit strings of any length; '' is 0. */
function compareDigitRuns(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
