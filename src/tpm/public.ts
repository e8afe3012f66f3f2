import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { Reader, Writer } from '../bytes/cursor';
import { DecodeError } from '../bytes/errors';
import { ALG, CURVES } from './constants';

/** A signing or encryption scheme with its hash (TPMT_RSA_SCHEME / TPMT_ECC_SCHEME); NULL has hash 0. */
export interface Scheme {
  scheme: number;
  hash: number;
  /** ECDAA only. */
  count?: number;
}

/** TPMT_SYM_DEF_OBJECT (TPM 2.0 Part 2 11.1.7); algorithm NULL has keyBits and mode 0. */
export interface SymDef {
  algorithm: number;
  keyBits: number;
  mode: number;
}

export type PublicParams =
  | { type: typeof ALG.RSA; symmetric: SymDef; scheme: Scheme; keyBits: number; exponent: number; modulus: Buffer }
  | { type: typeof ALG.ECC; symmetric: SymDef; scheme: Scheme; curve: number; kdf: Scheme; x: Buffer; y: Buffer };

/** TPMT_PUBLIC (TPM 2.0 Part 2 12.2.4) for RSA and ECC keys. */
export type TpmPublic = { nameAlg: number; objectAttributes: number; authPolicy: Buffer } & PublicParams;

function readSymDef(r: Reader): SymDef {
  const algorithm = r.u16('TPMT_SYM_DEF_OBJECT algorithm');
  if (algorithm === ALG.NULL) return { algorithm, keyBits: 0, mode: 0 };
  return { algorithm, keyBits: r.u16('TPMT_SYM_DEF_OBJECT keyBits'), mode: r.u16('TPMT_SYM_DEF_OBJECT mode') };
}

function writeSymDef(w: Writer, s: SymDef): void {
  w.u16(s.algorithm);
  if (s.algorithm !== ALG.NULL) w.u16(s.keyBits).u16(s.mode);
}

// TPM 2.0 Part 2 11.2.3.2 TPMU_ASYM_SCHEME: NULL and RSAES carry no details, ECDAA a hash and a
// count, every other scheme (and every TPMT_KDF_SCHEME but NULL) a hash.
function readScheme(r: Reader, what: string): Scheme {
  const scheme = r.u16(`${what} scheme`);
  if (scheme === ALG.NULL || scheme === ALG.RSAES) return { scheme, hash: 0 };
  const hash = r.u16(`${what} hashAlg`);
  return scheme === ALG.ECDAA ? { scheme, hash, count: r.u16(`${what} count`) } : { scheme, hash };
}

function writeScheme(w: Writer, s: Scheme): void {
  w.u16(s.scheme);
  if (s.scheme === ALG.NULL || s.scheme === ALG.RSAES) return;
  w.u16(s.hash);
  if (s.scheme === ALG.ECDAA) w.u16(s.count ?? 0);
}

function readParams(r: Reader, type: number, at: number): PublicParams {
  if (type === ALG.RSA) {
    const symmetric = readSymDef(r);
    const scheme = readScheme(r, 'TPMT_RSA_SCHEME');
    const keyBits = r.u16('TPMS_RSA_PARMS keyBits');
    const exponent = r.u32('TPMS_RSA_PARMS exponent');
    return { type, symmetric, scheme, keyBits, exponent, modulus: r.lengthPrefixed(2, 'TPM2B_PUBLIC_KEY_RSA') };
  }
  if (type === ALG.ECC) {
    const symmetric = readSymDef(r);
    const scheme = readScheme(r, 'TPMT_ECC_SCHEME');
    const curve = r.u16('TPMS_ECC_PARMS curveID');
    const kdf = readScheme(r, 'TPMT_KDF_SCHEME');
    const x = r.lengthPrefixed(2, 'TPMS_ECC_POINT x');
    return { type, symmetric, scheme, curve, kdf, x, y: r.lengthPrefixed(2, 'TPMS_ECC_POINT y') };
  }
  throw new DecodeError('unsupported', 'TPMT_PUBLIC type', at, `key type 0x${type.toString(16)} (only RSA and ECC)`);
}

export function decodePublic(data: Buffer): TpmPublic {
  const r = Reader.of(data);
  const typeAt = r.offset;
  const type = r.u16('TPMT_PUBLIC type');
  const nameAlg = r.u16('TPMT_PUBLIC nameAlg');
  const objectAttributes = r.u32('TPMT_PUBLIC objectAttributes');
  const authPolicy = r.lengthPrefixed(2, 'TPMT_PUBLIC authPolicy');
  const params = readParams(r, type, typeAt);
  r.end('TPMT_PUBLIC');
  return { nameAlg, objectAttributes, authPolicy, ...params };
}

export function encodePublic(p: TpmPublic): Buffer {
  const w = new Writer(400).u16(p.type).u16(p.nameAlg).u32(p.objectAttributes).lengthPrefixed(2, p.authPolicy);
  writeSymDef(w, p.symmetric);
  writeScheme(w, p.scheme);
  if (p.type === ALG.RSA) {
    w.u16(p.keyBits).u32(p.exponent).lengthPrefixed(2, p.modulus);
  } else {
    w.u16(p.curve);
    writeScheme(w, p.kdf);
    w.lengthPrefixed(2, p.x).lengthPrefixed(2, p.y);
  }
  return w.finish();
}

function unsigned(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function leftPad(b: Buffer, size: number): Buffer {
  return b.length >= size ? b : Buffer.concat([Buffer.alloc(size - b.length), b]);
}

/** A node KeyObject for the public key. Throws DecodeError when the key material is unusable. */
export function publicKeyObject(p: TpmPublic): KeyObject {
  try {
    if (p.type === ALG.RSA) {
      // TPM 2.0 Part 2 12.2.3.5: exponent 0 means the default 2^16 + 1.
      const e = Buffer.alloc(4);
      e.writeUInt32BE(p.exponent === 0 ? 65537 : p.exponent);
      return createPublicKey({
        key: { kty: 'RSA', n: unsigned(p.modulus).toString('base64url'), e: unsigned(e).toString('base64url') },
        format: 'jwk',
      });
    }
    const curve = CURVES.get(p.curve);
    if (!curve) throw new Error(`unsupported curve 0x${p.curve.toString(16)}`);
    const coord = (b: Buffer) => leftPad(unsigned(b), curve.size).toString('base64url');
    return createPublicKey({ key: { kty: 'EC', crv: curve.jwk, x: coord(p.x), y: coord(p.y) }, format: 'jwk' });
  } catch (e) {
    throw new DecodeError('invalid', 'TPMT_PUBLIC unique', 0, `not a usable public key: ${(e as Error).message}`);
  }
}

/** DER SubjectPublicKeyInfo of the key. */
export function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** Key ID as strongSwan's Device ID: hex SHA-1 over the DER SubjectPublicKeyInfo. */
export function keyId(key: KeyObject): string {
  return createHash('sha1').update(spkiDer(key)).digest('hex');
}

/**
 * `template` with the key of a node public key filled in (unique, keyBits or curve): for keys
 * made in software (tests, benches) or imported from DER.
 */
export function publicFromKey(key: KeyObject, template: TpmPublic): TpmPublic {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA' && template.type === ALG.RSA) {
    const modulus = Buffer.from(jwk.n ?? '', 'base64url');
    const e = Buffer.from(jwk.e ?? '', 'base64url');
    if (e.length > 4) throw new RangeError('RSA exponent longer than 32 bits');
    const exponent = e.readUIntBE(0, e.length);
    return { ...template, keyBits: modulus.length * 8, exponent: exponent === 65537 ? 0 : exponent, modulus };
  }
  const curve = [...CURVES].find(([, c]) => c.jwk === jwk.crv)?.[0];
  if (jwk.kty !== 'EC' || template.type !== ALG.ECC || curve === undefined)
    throw new RangeError(`a ${jwk.kty} ${jwk.crv ?? ''} key does not fit the template`);
  return { ...template, curve, x: Buffer.from(jwk.x ?? '', 'base64url'), y: Buffer.from(jwk.y ?? '', 'base64url') };
}
