import { constants, verify, timingSafeEqual, type KeyObject } from 'node:crypto';
import { isDecodeError } from '../bytes/errors';
import { decodeAttest, type ClockInfo, type UntrustedAttest } from './attest';
import { ALG, CURVES, HASHES, OBJECT, ST_ATTEST, TPM_GENERATED_VALUE, hashName } from './constants';
import { pcrDigest, selectionOrder, type PcrSelection, type PcrValues } from './pcr';
import { decodePublic, keyId, publicKeyObject, type TpmPublic } from './public';
import { decodeSignature, type TpmSignature } from './signature';

/** What a TPM returned for TPM2_Quote, as received: marshalled TPMS_ATTEST and TPMT_SIGNATURE. */
export interface QuoteEvidence {
  attest: Buffer;
  signature: Buffer;
}

/** What the verifier already trusts or chose: the AK, its nonce, and the PCR values it expects. */
export interface QuoteExpectations {
  /** The trusted AK as a marshalled TPMT_PUBLIC or decoded. */
  ak: Buffer | TpmPublic;
  /** The qualifying data the verifier sent (must come back as extraData). */
  nonce: Buffer;
  /** Expected PCR values: exactly the PCRs the quote must cover. */
  pcrs: PcrValues;
}

declare const verifiedBrand: unique symbol;

/** A quote whose signature, nonce and PCR digest all checked out; minted only by verifyQuote. */
export interface VerifiedQuote {
  readonly [verifiedBrand]: true;
  /** The PCR values the quote proved: the expected ones, whose digest the TPM signed. */
  pcrs: PcrValues;
  akKeyId: string;
  pcrSelect: PcrSelection[];
  pcrDigest: Buffer;
  clockInfo: ClockInfo;
  firmwareVersion: bigint;
  qualifiedSigner: Buffer;
}

export type QuoteFailureReason =
  | 'malformed' // attest, signature or AK do not decode
  | 'key' // the AK is not a restricted signing key, or not usable
  | 'scheme' // signature algorithm or hash does not fit the AK
  | 'signature' // the signature does not verify over the attest bytes
  | 'magic' // not TPM_GENERATED_VALUE
  | 'not-a-quote' // a TPMS_ATTEST of another type
  | 'nonce' // extraData is not our qualifying data
  | 'pcr-selection' // the quote covers other PCRs than the expected ones
  | 'pcr-digest'; // the quoted digest is not over the expected values

export type QuoteVerification =
  { ok: true; quote: VerifiedQuote } | { ok: false; reason: QuoteFailureReason; detail: string };

class Reject {
  constructor(
    readonly reason: QuoteFailureReason,
    readonly detail: string,
  ) {}
}

function decodeAll(
  ev: QuoteEvidence,
  ak: Buffer | TpmPublic,
): { attest: UntrustedAttest; sig: TpmSignature; pub: TpmPublic } {
  try {
    return {
      attest: decodeAttest(ev.attest),
      sig: decodeSignature(ev.signature),
      pub: Buffer.isBuffer(ak) ? decodePublic(ak) : ak,
    };
  } catch (e) {
    if (isDecodeError(e)) throw new Reject('malformed', e.message);
    throw e;
  }
}

// TPM 2.0 Part 1 25.2.2: only a restricted signing key guarantees that a signed structure
// starting with TPM_GENERATED_VALUE was produced by the TPM itself.
function checkKey(pub: TpmPublic): KeyObject {
  const need = OBJECT.sign | OBJECT.restricted;
  if ((pub.objectAttributes & need) !== need) throw new Reject('key', 'the AK is not a restricted signing key');
  try {
    return publicKeyObject(pub);
  } catch (e) {
    throw new Reject('key', (e as Error).message);
  }
}

function checkScheme(pub: TpmPublic, sig: TpmSignature): string {
  if (sig.sigAlg === ALG.NULL || sig.sigAlg === ALG.HMAC)
    throw new Reject('scheme', 'the quote is not signed with an asymmetric key');
  const fits = pub.type === ALG.RSA ? sig.sigAlg === ALG.RSASSA || sig.sigAlg === ALG.RSAPSS : sig.sigAlg === ALG.ECDSA;
  if (!fits) throw new Reject('scheme', `signature algorithm 0x${sig.sigAlg.toString(16)} does not fit the AK`);
  // TPM 2.0 Part 3 18.2: a key with a scheme of its own signs only with that scheme
  if (pub.scheme.scheme !== ALG.NULL && (pub.scheme.scheme !== sig.sigAlg || pub.scheme.hash !== sig.hash)) {
    throw new Reject('scheme', `the AK's scheme is 0x${pub.scheme.scheme.toString(16)}/${hashName(pub.scheme.hash)}`);
  }
  const hash = HASHES.get(sig.hash);
  if (!hash) throw new Reject('scheme', `unsupported signature hash ${hashName(sig.hash)}`);
  return hash.name;
}

function ecdsaP1363(pub: TpmPublic, r: Buffer, s: Buffer): Buffer {
  const size = pub.type === ALG.ECC ? (CURVES.get(pub.curve)?.size ?? 0) : 0;
  const fixed = (b: Buffer) => {
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    const v = b.subarray(i);
    if (v.length > size) throw new Reject('signature', 'ECDSA r or s is longer than the curve');
    return Buffer.concat([Buffer.alloc(size - v.length), v]);
  };
  return Buffer.concat([fixed(r), fixed(s)]);
}

function checkSignature(key: KeyObject, pub: TpmPublic, sig: TpmSignature, hash: string, data: Buffer): void {
  let ok = false;
  try {
    if (sig.sigAlg === ALG.RSASSA) ok = verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig.sig);
    else if (sig.sigAlg === ALG.RSAPSS) {
      // TPM 2.0 Part 1 B.7: salt as long as the digest; AUTO also accepts older TPMs' maximum salt
      ok = verify(
        hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        sig.sig,
      );
    } else if (sig.sigAlg === ALG.ECDSA)
      ok = verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, ecdsaP1363(pub, sig.r, sig.s));
  } catch (e) {
    if (e instanceof Reject) throw e;
    ok = false;
  }
  if (!ok) throw new Reject('signature', 'the quote signature does not verify with the AK');
}

function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkPcrs(sel: PcrSelection[], quoted: Buffer, expected: PcrValues, hash: string): void {
  const inQuote = new Set(selectionOrder(sel).map((p) => `${p.hash}:${p.index}`));
  const wanted = [...expected].flatMap(([bank, m]) => [...m.keys()].map((i) => `${bank}:${i}`));
  const missing = wanted.filter((k) => !inQuote.has(k));
  const extra = [...inQuote].filter((k) => !wanted.includes(k));
  if (missing.length || extra.length || inQuote.size !== selectionOrder(sel).length) {
    const fmt = (ks: string[]) =>
      ks.map((k) => `${hashName(Number(k.split(':')[0]))}:${k.split(':')[1]}`).join(',') || 'none';
    throw new Reject('pcr-selection', `quote lacks PCRs ${fmt(missing)}, has unexpected PCRs ${fmt(extra)}`);
  }
  const digest = pcrDigest(sel, expected, hash);
  if (!digest || !equalBytes(digest, quoted))
    throw new Reject('pcr-digest', 'the quoted PCR digest does not match the expected PCR values');
}

function verifyOrReject(ev: QuoteEvidence, expect: QuoteExpectations): VerifiedQuote {
  const { attest, sig, pub } = decodeAll(ev, expect.ak);
  const key = checkKey(pub);
  const hash = checkScheme(pub, sig);
  checkSignature(key, pub, sig, hash, ev.attest);
  if (attest.magic !== TPM_GENERATED_VALUE)
    throw new Reject('magic', `magic 0x${attest.magic.toString(16)} is not TPM_GENERATED_VALUE`);
  if (attest.type !== ST_ATTEST.QUOTE || !attest.quote)
    throw new Reject('not-a-quote', `attestation type 0x${attest.type.toString(16)} is not TPM_ST_ATTEST_QUOTE`);
  if (!equalBytes(attest.extraData, expect.nonce))
    throw new Reject('nonce', 'extraData is not the qualifying data we sent');
  checkPcrs(attest.quote.pcrSelect, attest.quote.pcrDigest, expect.pcrs, hash);
  const { pcrSelect, pcrDigest: digest } = attest.quote;
  return {
    pcrs: expect.pcrs,
    akKeyId: keyId(key),
    pcrSelect,
    pcrDigest: digest,
    clockInfo: attest.clockInfo,
    firmwareVersion: attest.firmwareVersion,
    qualifiedSigner: attest.qualifiedSigner,
  } as VerifiedQuote;
}

/**
 * Verifies a TPM2_Quote: the AK's signature over the TPMS_ATTEST, TPM_GENERATED_VALUE, the
 * attestation type, our nonce in extraData, and the PCR digest over exactly the expected PCRs.
 */
export function verifyQuote(ev: QuoteEvidence, expect: QuoteExpectations): QuoteVerification {
  try {
    return { ok: true, quote: verifyOrReject(ev, expect) };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, reason: e.reason, detail: e.detail };
    throw e;
  }
}
