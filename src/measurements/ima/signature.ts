import { createHash, createPublicKey, publicDecrypt, constants, type KeyObject, X509Certificate } from 'node:crypto';
import { Reader } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';

/**
 * IMA file signatures (security.ima, the sig field of ima-sig): Linux security/integrity/integrity.h
 * struct signature_v2_hdr, big-endian: u8 type (3 = EVM_IMA_XATTR_DIGSIG), u8 version (2),
 * u8 hash_algo (include/uapi/linux/hash_info.h), u32 keyid, u16 sig_size, then the signature.
 * Version 2 signs the file digest itself (digsig_asymmetric.c asymmetric_verify; evmctl ima_sign).
 */
const EVM_IMA_XATTR_DIGSIG = 3;
/** hash_info.h enum hash_algo → kernel/node hash name. */
const HASH_ALGO: Readonly<Record<number, string>> = {
  0: 'md4',
  1: 'md5',
  2: 'sha1',
  3: 'rmd160',
  4: 'sha256',
  5: 'sha384',
  6: 'sha512',
  7: 'sha224',
};
/** RFC 8017 9.2 note 1: the DER DigestInfo prefix of EMSA-PKCS1-v1_5 per hash. */
const DIGEST_INFO: Readonly<Record<string, string>> = {
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

export interface ImaSignature {
  version: number;
  /** Hash name, or `algo_<n>` for one this code does not know. */
  hashAlgorithm: string;
  /** Last 4 bytes of the signing key's subject key identifier, hex. */
  keyId: string;
  signature: Buffer;
}

/** Decodes a signature_v2_hdr and its payload; a sig_size that disagrees with the field is an error. */
export function decodeImaSignature(sig: Buffer, base = 0): ImaSignature {
  const r = new Reader(sig, base);
  const type = r.u8('IMA signature type');
  if (type !== EVM_IMA_XATTR_DIGSIG)
    throw new DecodeError('unsupported', 'IMA signature type', base, `type ${type}, not a digital signature (3)`);
  const version = r.u8('IMA signature version');
  const algo = r.u8('IMA signature hash algorithm');
  const keyId = r.bytes(4, 'IMA signature key id').toString('hex');
  const size = r.u16('IMA signature size');
  const signature = r.bytes(size, 'IMA signature');
  r.end('IMA signature');
  return { version, hashAlgorithm: HASH_ALGO[algo] ?? `algo_${algo}`, keyId, signature };
}

/** The IMA key id of a public key: the last 4 bytes of SHA-1 over its subjectPublicKey bits (RFC 5280 4.2.1.2 method 1, as evmctl computes it). */
export function imaKeyId(key: X509Certificate | KeyObject): string {
  const pub = key instanceof X509Certificate ? key.publicKey : key;
  const spki = pub.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(subjectPublicKeyBits(spki)).digest().subarray(16).toString('hex');
}

/** One DER TLV of the expected tag (definite length up to 3 bytes): its value. */
function tlv(r: Reader, tag: number): Buffer {
  const at = r.offset;
  if (r.u8('DER tag') !== tag)
    throw new DecodeError('invalid', 'SubjectPublicKeyInfo', at, `expected DER tag 0x${tag.toString(16)}`);
  let len = r.u8('DER length');
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3) throw new DecodeError('invalid', 'SubjectPublicKeyInfo', at, `DER length of ${n} bytes`);
    len = r.bytes(n, 'DER length').readUIntBE(0, n);
  }
  return r.bytes(len, 'DER value');
}

/** SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING } (RFC 5280 4.1): the key's bits. */
function subjectPublicKeyBits(spki: Buffer): Buffer {
  const inner = new Reader(tlv(new Reader(spki), 0x30));
  tlv(inner, 0x30);
  return tlv(inner, 0x03).subarray(1); // after the unused-bits count, 0 for a key
}

/** The verdict on one file's signature: ok, bad, missing (unsigned), unknown-key, unsupported (format or key type). */
export type SignatureVerdict = 'ok' | 'bad' | 'missing' | 'unknown-key' | 'unsupported';

/** Signing certificates by IMA key id. */
export type ImaKeyring = ReadonlyMap<string, KeyObject>;

/** One IMA signing key: its key id, public key, and the certificate it came in (if any). */
export interface ImaSigningKey {
  readonly keyId: string;
  readonly key: KeyObject;
  readonly certificate?: X509Certificate;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** A DER certificate or SubjectPublicKeyInfo; undefined when it is neither. */
function derKey(der: Buffer): ImaSigningKey | undefined {
  try {
    const certificate = new X509Certificate(der);
    return { keyId: imaKeyId(certificate), key: certificate.publicKey, certificate };
  } catch {
    try {
      const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
      return { keyId: imaKeyId(key), key };
    } catch {
      return undefined;
    }
  }
}

/**
 * The IMA signing keys in a file: PEM (CERTIFICATE, PUBLIC KEY and RSA PUBLIC KEY blocks, several
 * per file) or one DER certificate or SubjectPublicKeyInfo. Throws an Error naming what it could not read.
 */
export function parseImaKeys(data: Buffer, name: string): ImaSigningKey[] {
  const text = data.toString('latin1');
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) {
    const key = derKey(data);
    if (!key) throw new Error(`${name}: neither PEM nor a DER certificate or public key`);
    return [key];
  }
  return blocks.map(([block, label], i) => {
    const where = `${name}: PEM block ${i + 1} (${label})`;
    try {
      if (label === 'CERTIFICATE') {
        const certificate = new X509Certificate(block);
        return { keyId: imaKeyId(certificate), key: certificate.publicKey, certificate };
      }
      if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') {
        const key = createPublicKey(block);
        return { keyId: imaKeyId(key), key };
      }
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    }
    throw new Error(`${where}: not a certificate or public key`);
  });
}

/** A keyring from signing keys (a later key with the same key id replaces an earlier one). */
export function imaKeyring(keys: Iterable<ImaSigningKey>): Map<string, KeyObject> {
  return new Map([...keys].map((k) => [k.keyId, k.key]));
}

/**
 * Checks an IMA signature (the sig field) against the measured file digest: the signature's hash
 * must be the digest's, its key in the keyring, and (RSA, PKCS#1 v1.5) the signed DigestInfo the
 * digest's. Other key types and signature versions are reported unsupported, not passed.
 */
export function checkImaSignature(
  sig: Buffer | undefined,
  digestAlgorithm: string,
  digest: Buffer,
  keys: ImaKeyring,
): { verdict: SignatureVerdict; detail: string } {
  if (!sig || sig.length === 0) return { verdict: 'missing', detail: 'no signature' };
  let s: ImaSignature;
  try {
    s = decodeImaSignature(sig);
  } catch (e) {
    if (e instanceof DecodeError) return { verdict: 'bad', detail: `malformed signature: ${e.message}` };
    throw e;
  }
  if (s.version !== 2) return { verdict: 'unsupported', detail: `signature version ${s.version}` };
  if (s.hashAlgorithm !== digestAlgorithm)
    return {
      verdict: 'bad',
      detail: `signed ${s.hashAlgorithm} digest, the file was measured with ${digestAlgorithm}`,
    };
  const key = keys.get(s.keyId);
  if (!key) return { verdict: 'unknown-key', detail: `key id ${s.keyId} is not among the IMA signing certificates` };
  const prefix = DIGEST_INFO[s.hashAlgorithm];
  if (key.asymmetricKeyType !== 'rsa' || !prefix)
    return { verdict: 'unsupported', detail: `${key.asymmetricKeyType} key, ${s.hashAlgorithm}` };
  let signed: Buffer;
  try {
    signed = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, s.signature);
  } catch {
    return { verdict: 'bad', detail: `signature does not verify with key ${s.keyId}` };
  }
  const ok = signed.equals(Buffer.concat([Buffer.from(prefix, 'hex'), digest]));
  return ok
    ? { verdict: 'ok', detail: `signed by key ${s.keyId}` }
    : { verdict: 'bad', detail: `signature by key ${s.keyId} is over another digest` };
}
