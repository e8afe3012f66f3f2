/**
 * Comparing our server's log with strongSwan's, line classes at a time: values normalised
 * (quoted strings, hex, numbers, addresses), hex dumps collapsed, and the log cut into phases
 * (start-up, then one phase per PB-TNC batch received).
 */
export interface LogLine {
  readonly text: string;
  readonly level: number;
}

const HEXDUMP = /^\[\w+\]\s+\d+: (?:[0-9A-F]{2} ){0,15}[0-9A-F]{2}\s{2,}.*$/;

/** One line without its values; every hex dump line becomes `[SUB] <hexdump>`. */
export function normalise(line: string): string {
  const dump = HEXDUMP.exec(line);
  if (dump) return `${line.slice(0, line.indexOf(']') + 1)} <hexdump>`;
  return line
    .replace(/ @ 0x[0-9a-f]+/g, '') // a memory address
    .replace(/\b\d{1,3}(\.\d{1,3}){3}\b/g, '') // an IPv4 address (the seed has them removed)
    .replace(/'[^']*'/g, 'Q')
    .replace(/\b0x[0-9a-f]+\b/gi, 'H')
    .replace(/\b[0-9a-f]{2}(:[0-9a-f]{2})+\b/gi, 'H')
    .replace(/\b[0-9a-f]{16,}\b/gi, 'H')
    .replace(/\b\d+\b/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Consecutive hex dump lines as one. */
export function collapseDumps(lines: readonly LogLine[]): LogLine[] {
  return lines.filter(
    (l, i) => !(normalise(l.text).endsWith('<hexdump>') && i > 0 && normalise(lines[i - 1].text) === normalise(l.text)),
  );
}

export const STARTUP = 'start-up';

/** Start-up (before the first TNCCS connection), then a phase from each "received TNCCS batch" on. */
export function phases(lines: readonly LogLine[]): LogLine[][] {
  const out: LogLine[][] = [[]];
  let started = false;
  for (const l of collapseDumps(lines)) {
    if (!started && /\[TNC\] assigned TNCCS Connection ID/.test(l.text)) {
      started = true;
      out.push([]);
    } else if (/\[TNC\] received TNCCS batch/.test(l.text)) out.push([]);
    out[out.length - 1].push(l);
  }
  return out;
}

/** Indices in `hay` of `needles` as an ordered subsequence (by normalised text), or undefined. */
export function subsequence(needles: readonly string[], hay: readonly LogLine[]): number[] | undefined {
  const at: number[] = [];
  let j = 0;
  for (const n of needles) {
    while (j < hay.length && normalise(hay[j].text) !== n) j++;
    if (j === hay.length) return undefined;
    at.push(j++);
  }
  return at;
}

/** `NN[SUB] message` → `[SUB] message`. */
export function seedLine(raw: string): string {
  return raw.replace(/^\d{2}\[/, '[');
}
