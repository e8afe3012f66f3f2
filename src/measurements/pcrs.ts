/**
 * PCR values by bank name and PCR index, lower-case hex. Three trust levels share this shape:
 * `QuotedPcrs` come from a TPM quote the caller has verified (or a trusted read-out),
 * `ReplayedPcrs` were computed from an untrusted log and prove nothing until compared with quoted ones.
 */
export type PcrValues = Record<string, Record<number, string>>;
export type QuotedPcrs = PcrValues & { readonly __quoted?: never };
export type ReplayedPcrs = PcrValues & { readonly __replayed?: never };

export interface PcrMismatch {
  bank: string;
  pcr: number;
  expected: string;
  replayed: string;
  reason: string;
}

/**
 * Compares replayed against quoted PCRs: one reason per quoted PCR (of `pcrs`, default all) that the
 * replay does not reproduce. A PCR the replay never extended counts as its reset value (zeros).
 * Banks absent from the replay are not compared: `banksCompared` says which were.
 */
export function comparePcrs(
  replayed: ReplayedPcrs,
  quoted: QuotedPcrs,
  pcrs?: readonly number[],
): { mismatches: PcrMismatch[]; banksCompared: string[] } {
  const mismatches: PcrMismatch[] = [];
  const banksCompared: string[] = [];
  for (const [bank, values] of Object.entries(quoted)) {
    const mine = replayed[bank];
    if (!mine) continue;
    banksCompared.push(bank);
    for (const [key, quotedHex] of Object.entries(values)) {
      const pcr = Number(key);
      if (pcrs && !pcrs.includes(pcr)) continue;
      const expected = quotedHex.toLowerCase();
      const got = mine[pcr] ?? '00'.repeat(expected.length / 2);
      if (got === expected) continue;
      mismatches.push({
        bank,
        pcr,
        expected,
        replayed: got,
        reason: `PCR ${pcr} (${bank}): quoted ${expected}, replay gives ${got}`,
      });
    }
  }
  return { mismatches, banksCompared };
}

/** Parses tpm2_pcrread output ("  sha1:" then "    0 : 0xAB..") as written by tpm2-tools. */
export function parsePcrRead(text: string): PcrValues {
  const out: PcrValues = {};
  let bank: Record<number, string> | undefined;
  for (const line of text.split('\n')) {
    const b = /^\s*([a-z0-9_]+):\s*$/.exec(line);
    if (b) {
      bank = out[b[1]] = {};
      continue;
    }
    const m = /^\s*(\d+)\s*:\s*0x([0-9a-fA-F]+)\s*$/.exec(line);
    if (m && bank) bank[Number(m[1])] = m[2].toLowerCase();
  }
  return out;
}
