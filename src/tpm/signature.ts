import { Reader, Writer } from '../bytes/cursor';
import { DecodeError } from '../bytes/errors';
import { ALG, HASHES } from './constants';

/** TPMT_SIGNATURE (TPM 2.0 Part 2 11.3.4), for the algorithms a quote can carry. */
export type TpmSignature =
  | { sigAlg: typeof ALG.RSASSA | typeof ALG.RSAPSS; hash: number; sig: Buffer }
  | {
      sigAlg: typeof ALG.ECDSA | typeof ALG.ECDAA | typeof ALG.SM2 | typeof ALG.ECSCHNORR;
      hash: number;
      r: Buffer;
      s: Buffer;
    }
  | { sigAlg: typeof ALG.HMAC; hash: number; digest: Buffer }
  | { sigAlg: typeof ALG.NULL };

const ECC_SIGS: ReadonlySet<number> = new Set([ALG.ECDSA, ALG.ECDAA, ALG.SM2, ALG.ECSCHNORR]);

export function decodeSignature(data: Buffer): TpmSignature {
  const rd = Reader.of(data);
  const at = rd.offset;
  const sigAlg = rd.u16('TPMT_SIGNATURE sigAlg');
  let out: TpmSignature;
  if (sigAlg === ALG.NULL) out = { sigAlg };
  else if (sigAlg === ALG.RSASSA || sigAlg === ALG.RSAPSS) {
    // TPMS_SIGNATURE_RSA: hash, TPM2B_PUBLIC_KEY_RSA
    out = { sigAlg, hash: rd.u16('TPMS_SIGNATURE_RSA hash'), sig: rd.lengthPrefixed(2, 'TPMS_SIGNATURE_RSA sig') };
  } else if (ECC_SIGS.has(sigAlg)) {
    // TPMS_SIGNATURE_ECC: hash, signatureR, signatureS
    const hash = rd.u16('TPMS_SIGNATURE_ECC hash');
    const r = rd.lengthPrefixed(2, 'TPMS_SIGNATURE_ECC signatureR');
    out = { sigAlg: sigAlg as typeof ALG.ECDSA, hash, r, s: rd.lengthPrefixed(2, 'TPMS_SIGNATURE_ECC signatureS') };
  } else if (sigAlg === ALG.HMAC) {
    // TPMT_HA: hashAlg, then a digest of that hash's size
    const hashAt = rd.offset;
    const hash = rd.u16('TPMT_HA hashAlg');
    const size = HASHES.get(hash)?.size;
    if (size === undefined)
      throw new DecodeError('unsupported', 'TPMT_HA hashAlg', hashAt, `hash 0x${hash.toString(16)}`);
    out = { sigAlg, hash, digest: rd.bytes(size, 'TPMT_HA digest') };
  } else {
    throw new DecodeError('unsupported', 'TPMT_SIGNATURE sigAlg', at, `algorithm 0x${sigAlg.toString(16)}`);
  }
  rd.end('TPMT_SIGNATURE');
  return out;
}

export function encodeSignature(s: TpmSignature): Buffer {
  const w = new Writer(300).u16(s.sigAlg);
  if (s.sigAlg === ALG.NULL) return w.finish();
  w.u16(s.hash);
  if ('sig' in s) w.lengthPrefixed(2, s.sig);
  else if ('r' in s) w.lengthPrefixed(2, s.r).lengthPrefixed(2, s.s);
  else w.bytes(s.digest);
  return w.finish();
}

/** TPMT_SIG_SCHEME (TPM 2.0 Part 2 11.2.1.5) for TPM2_Quote: NULL lets the key's own scheme apply. */
export function encodeSigScheme(scheme: number, hash: number): Buffer {
  const w = new Writer(8).u16(scheme);
  if (scheme !== ALG.NULL) w.u16(hash);
  // TPM 2.0 Part 2 11.2.1.3: an ECDAA scheme also carries a count
  if (scheme === ALG.ECDAA) w.u16(0);
  return w.finish();
}
