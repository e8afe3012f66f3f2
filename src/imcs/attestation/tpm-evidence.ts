import { Reader } from '../../bytes/cursor';
import {
  encodeTpm2VersionInfo,
  HASH_ALG,
  QUOTE_MODE,
  type Aik,
  type UntrustedEvidenceFinal,
} from '../../protocol/pa-tnc/tcg/pts';
import { decodeAttest } from '../../tpm/attest';
import { ALG, CURVES, DEFAULT_AK_HANDLE, PT } from '../../tpm/constants';
import { keyId, publicKeyObject, spkiDer, type TpmPublic } from '../../tpm/public';
import { decodeSignature } from '../../tpm/signature';
import type { Tpm } from '../../tpm/tpm';

/** PTS measurement algorithm bit ↔ TPM_ALG_ID of the PCR bank (PTS 3.9.1, TPM 2.0 Part 2 6.3). */
export const PTS_BANKS: readonly { bit: number; alg: number }[] = [
  { bit: HASH_ALG.SHA1, alg: ALG.SHA1 },
  { bit: HASH_ALG.SHA256, alg: ALG.SHA256 },
  { bit: HASH_ALG.SHA384, alg: ALG.SHA384 },
  { bit: HASH_ALG.SHA512, alg: ALG.SHA512 },
];

export const tpmAlgOf = (bit: number): number | undefined => PTS_BANKS.find((b) => b.bit === bit)?.alg;
export const ptsBitOf = (alg: number): number | undefined => PTS_BANKS.find((b) => b.alg === alg)?.bit;

/** PTS measurement algorithms the TPM has a PCR bank for (with at least one PCR allocated). */
export async function ptsBanksOf(tpm: Tpm): Promise<number> {
  let set = 0;
  for (const b of await tpm.banks()) if (b.pcrs.length > 0) set |= ptsBitOf(b.hash) ?? 0;
  return set;
}

async function akPublic(tpm: Tpm, handle: number): Promise<TpmPublic> {
  return (await tpm.readPublic(handle)).public;
}

/**
 * The Device ID strongSwan's OS IMC reports when the AK is used: hex SHA-1 of the AK's DER
 * SubjectPublicKeyInfo (strongSwan's imc_os.c Device ID). Pass it to the OS IMC so both IMCs name one device.
 */
export async function akDeviceId(tpm: Tpm, handle = DEFAULT_AK_HANDLE): Promise<string> {
  return keyId(publicKeyObject(await akPublic(tpm, handle)));
}

/** PTS 3.13: the AK as a bare SubjectPublicKeyInfo, or the configured certificate. */
export async function aikOf(tpm: Tpm, handle: number, certificate?: Buffer): Promise<Aik> {
  if (certificate) return { bareKey: false, der: certificate };
  return { bareKey: true, der: spkiDer(publicKeyObject(await akPublic(tpm, handle))) };
}

/**
 * PTS 3.11 TPM Version Information: strongSwan's 16-byte TPM 2.0 version information. The locality byte is the
 * TPM's startup locality, which the verifier uses as PCR 0's reset value (TPM 2.0 Part 1 17.6.4.4):
 * we report the firmware log's StartupLocality (0 when it has none), not strongSwan's vendor guess.
 */
export async function tpmVersionInfo(tpm: Tpm, locality: number): Promise<Buffer> {
  const p = await tpm.properties(PT.REVISION, PT.MANUFACTURER - PT.REVISION + 1);
  const manufacturer = Buffer.alloc(4);
  manufacturer.writeUInt32BE((p.get(PT.MANUFACTURER) ?? 0) >>> 0);
  return encodeTpm2VersionInfo({
    locality,
    revision: p.get(PT.REVISION) ?? 0,
    year: p.get(PT.YEAR) ?? 0,
    manufacturer,
  });
}

/** clockInfo, firmwareVersion and the TPML_PCR_SELECTION exactly as the TPM marshalled them. */
function rawQuoteParts(
  attest: Buffer,
  digestLen: number,
): { clockInfo: Buffer; firmwareVersion: Buffer; pcrSelection: Buffer } {
  const r = Reader.of(attest);
  r.skip(6, 'TPMS_ATTEST magic and type');
  r.lengthPrefixed(2, 'TPMS_ATTEST qualifiedSigner');
  r.lengthPrefixed(2, 'TPMS_ATTEST extraData');
  const clockInfo = r.bytes(17, 'TPMS_CLOCK_INFO');
  const firmwareVersion = r.bytes(8, 'TPMS_ATTEST firmwareVersion');
  // TPMS_QUOTE_INFO: the selection runs up to the trailing TPM2B_DIGEST (decodeAttest checked the layout)
  return { clockInfo, firmwareVersion, pcrSelection: r.bytes(r.remaining - 2 - digestLen, 'TPML_PCR_SELECTION') };
}

/** PTS 3.15.2 quote signature: RSA = the raw signature; ECDSA = r‖s, each padded to the curve size. */
function rawSignature(sigBytes: Buffer, ak: TpmPublic): { hash: number; sig: Buffer } {
  const sig = decodeSignature(sigBytes);
  if ('sig' in sig) return { hash: sig.hash, sig: sig.sig };
  if ('r' in sig) {
    const size = ak.type === ALG.ECC ? (CURVES.get(ak.curve)?.size ?? sig.r.length) : sig.r.length;
    const pad = (b: Buffer) => Buffer.concat([Buffer.alloc(Math.max(0, size - b.length)), b]);
    return { hash: sig.hash, sig: Buffer.concat([pad(sig.r), pad(sig.s)]) };
  }
  throw new RangeError(`the AK signed with algorithm 0x${sig.sigAlg.toString(16)}, not RSA or ECDSA`);
}

/**
 * PTS 3.15.2 Simple Evidence Final, TPM 2.0 form (TPM 2.0 Library Part 3 18.4): TPM2_Quote with the
 * secret as qualifying data over `pcrs` of `bank`; the parts the verifier cannot rebuild are copied.
 */
export async function quoteEvidence(
  tpm: Tpm,
  akHandle: number,
  bank: number,
  pcrs: number[],
  secret: Buffer,
): Promise<UntrustedEvidenceFinal> {
  const q = await tpm.quote({ nonce: secret, pcrs: [{ hash: bank, pcrs }], akHandle });
  const attest = decodeAttest(q.attest);
  if (!attest.quote) throw new RangeError('TPM2_Quote returned no TPMS_QUOTE_INFO');
  const { hash, sig } = rawSignature(q.signature, await akPublic(tpm, akHandle));
  const compositeHash = ptsBitOf(hash);
  if (compositeHash === undefined)
    throw new RangeError(`quote signature hash 0x${hash.toString(16)} has no PTS algorithm bit`);
  return {
    quoteMode: QUOTE_MODE.TPM2,
    compositeHashAlgorithm: compositeHash,
    pcrCompositeDigest: attest.quote.pcrDigest,
    tpm2: { qualifiedSigner: attest.qualifiedSigner, ...rawQuoteParts(q.attest, attest.quote.pcrDigest.length) },
    quoteSignature: sig,
  };
}
