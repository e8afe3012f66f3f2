import type { KeyObject } from 'node:crypto';
import { Writer } from '../../bytes/cursor';
import { HASH_ALG, QUOTE_MODE, type UntrustedEvidenceFinal } from '../../protocol/pa-tnc/tcg/pts';
import { ALG, OBJECT, ST_ATTEST, TPM_GENERATED_VALUE } from '../../tpm/constants';
import type { PcrValues } from '../../tpm/pcr';
import { publicFromKey, type TpmPublic } from '../../tpm/public';
import { encodeSignature, type TpmSignature } from '../../tpm/signature';
import { verifyQuote, type QuoteVerification, type VerifiedQuote } from '../../tpm/verify';
import { silentLogger, type Logger } from '../../log';
import { logConstructedQuote } from './quote-log';

/** PTS measurement algorithm bits (TCG PTS 3.9.1) → TPM_ALG_ID. */
export const TPM_ALG_OF_PTS: ReadonlyMap<number, number> = new Map([
  [HASH_ALG.SHA1, ALG.SHA1],
  [HASH_ALG.SHA256, ALG.SHA256],
  [HASH_ALG.SHA384, ALG.SHA384],
  [HASH_ALG.SHA512, ALG.SHA512],
]);

export type PtsQuoteResult = { ok: true; quote: VerifiedQuote } | { ok: false; reason: string };

/**
 * TCG PTS 3.15.2 with strongSwan's TPM 2.0 binding (strongSwan's tpm_tss_tss2_v2.c; TPM 2.0 Library Part 2 10.12, TPMS_ATTEST): the IMC sends only the parts
 * of TPMS_ATTEST the verifier cannot know; the verifier rebuilds it with ITS nonce (the DH secret)
 * as extraData and the digest the IMC reports, so a quote over another nonce cannot verify.
 */
function rebuildAttest(final: UntrustedEvidenceFinal, secret: Buffer): Buffer {
  const t = final.tpm2!;
  const w = new Writer(200).u32(TPM_GENERATED_VALUE).u16(ST_ATTEST.QUOTE);
  w.lengthPrefixed(2, t.qualifiedSigner).lengthPrefixed(2, secret);
  w.bytes(t.clockInfo).bytes(t.firmwareVersion).bytes(t.pcrSelection);
  return w.lengthPrefixed(2, final.pcrCompositeDigest!).finish();
}

// The AIK arrives as a bare SubjectPublicKeyInfo or certificate: its TPM attributes are not on the
// wire, so it is taken as the restricted signing key the trust decision (device or CA) vouched for.
function akPublic(key: KeyObject): TpmPublic {
  const base = {
    nameAlg: ALG.SHA256,
    objectAttributes: OBJECT.sign | OBJECT.restricted,
    authPolicy: Buffer.alloc(0),
    symmetric: { algorithm: ALG.NULL, keyBits: 0, mode: 0 },
    scheme: { scheme: ALG.NULL, hash: 0 },
  };
  if (key.asymmetricKeyType === 'rsa')
    return publicFromKey(key, { ...base, type: ALG.RSA, keyBits: 0, exponent: 0, modulus: Buffer.alloc(0) });
  return publicFromKey(key, {
    ...base,
    type: ALG.ECC,
    curve: 0,
    kdf: { scheme: ALG.NULL, hash: 0 },
    x: Buffer.alloc(0),
    y: Buffer.alloc(0),
  });
}

/** strongSwan sends RSA signatures raw and ECDSA ones as r‖s (PTS 3.15.2 Simple Evidence Final; strongSwan's tpm_tss_tss2_v2.c). */
function candidateSignatures(key: KeyObject, raw: Buffer, hash: number): TpmSignature[] {
  if (key.asymmetricKeyType === 'rsa')
    return [
      { sigAlg: ALG.RSASSA, hash, sig: raw },
      { sigAlg: ALG.RSAPSS, hash, sig: raw },
    ];
  const half = raw.length >> 1;
  return [{ sigAlg: ALG.ECDSA, hash, r: raw.subarray(0, half), s: raw.subarray(half) }];
}

const REASONS: Record<string, string> = {
  signature: "TPM quote signature verification failed: the quote was not made by this AIK over this session's nonce",
  'pcr-digest': 'the evidence does not replay to the quoted PCR values (PCR composite digest differs)',
  'pcr-selection': 'the quote does not cover exactly the PCRs the evidence extends',
};

/**
 * Verifies a Simple Evidence Final's TPM 2.0 quote with src/tpm verifyQuote: AIK signature, nonce =
 * the DH secret, PCR digest = the digest over the verifier's own replay of `pcrs` (bank `bankAlg`).
 * The VerifiedQuote it returns carries those PCR values, now proven by the TPM.
 */
export function verifyPtsQuote(
  final: UntrustedEvidenceFinal,
  ak: KeyObject,
  secret: Buffer,
  bankAlg: number,
  pcrs: ReadonlyMap<number, Buffer>,
  log: Logger = silentLogger,
): PtsQuoteResult {
  if (final.quoteMode !== QUOTE_MODE.TPM2 || !final.tpm2 || !final.quoteSignature)
    return { ok: false, reason: 'Simple Evidence Final carries no TPM 2.0 quote' };
  const hash = TPM_ALG_OF_PTS.get(final.compositeHashAlgorithm);
  if (hash === undefined)
    return { ok: false, reason: `unsupported composite hash algorithm 0x${final.compositeHashAlgorithm.toString(16)}` };
  const attest = rebuildAttest(final, secret);
  logConstructedQuote(log, pcrs, final.compositeHashAlgorithm, attest);
  const expected: PcrValues = new Map([[bankAlg, new Map(pcrs)]]);
  let last: QuoteVerification | undefined;
  for (const sig of candidateSignatures(ak, final.quoteSignature, hash)) {
    last = verifyQuote(
      { attest, signature: encodeSignature(sig) },
      { ak: akPublic(ak), nonce: secret, pcrs: expected },
    );
    if (last.ok || last.reason !== 'signature') break;
  }
  if (!last) return { ok: false, reason: 'no signature candidate for the AIK' };
  if (last.ok) return { ok: true, quote: last.quote };
  return { ok: false, reason: REASONS[last.reason] ?? `TPM quote rejected (${last.reason}): ${last.detail}` };
}
