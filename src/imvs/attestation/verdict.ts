import { quotedPcrs, verifyReplay, type VerifiedReplay } from '../../measurements/verify';
import type { VerifiedQuote } from '../../tpm/verify';
import { Evaluation } from '../../tnccs/types';
import { IMA_PCR } from './evidence';
import type { VirtualPcrs } from './virtual-pcrs';

/**
 * What a compliant verdict rests on, as go-attestation's Verify: a verified quote, whose PCR values
 * are therefore trusted, and the firmware and IMA evidence verified against those values
 * (src/measurements/verify.ts mints every part; nothing else can make one).
 */
export interface VerifiedAttestation {
  readonly quote: VerifiedQuote;
  /** The firmware (BIOS) evidence: every PCR it extended reproduces the quoted value. */
  readonly firmware?: VerifiedReplay;
  /** The IMA evidence: PCR 10 reproduces the quoted value. */
  readonly ima?: VerifiedReplay;
}

export type AttestationVerdict = { ok: true; verified: VerifiedAttestation } | { ok: false; reason: string };

/**
 * Quote verified → its PCR values trusted → the evidence's replay verified against them. The
 * evidence checker keeps firmware evidence to the platform PCRs and IMA evidence to PCR 10, so
 * each is verified on its own PCRs.
 */
export function verifyAttestation(quote: VerifiedQuote, pcrs: VirtualPcrs): AttestationVerdict {
  const replayed = pcrs.replayed();
  const quoted = quotedPcrs(quote);
  const extended = [...pcrs.selected().keys()];
  const platform = extended.filter((p) => p !== IMA_PCR);
  const parts: { firmware?: VerifiedReplay; ima?: VerifiedReplay } = {};
  for (const [part, list] of [
    ['firmware', platform],
    ['ima', extended.includes(IMA_PCR) ? [IMA_PCR] : []],
  ] as const) {
    if (list.length === 0) continue;
    const v = verifyReplay(replayed, quoted, list);
    if (!v.ok) return { ok: false, reason: `the ${part} evidence does not replay to the quoted PCRs: ${v.reason}` };
    parts[part] = v.verified;
  }
  return { ok: true, verified: { quote, ...parts } };
}

/** The workitem's evaluation: compliant only with a verified attestation and no failed check. */
export function evaluate(attestation: AttestationVerdict, failures: readonly string[]): Evaluation {
  return attestation.ok && failures.length === 0 ? Evaluation.COMPLIANT : Evaluation.NONCOMPLIANT_MINOR;
}
