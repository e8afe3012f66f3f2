import { Reader } from '../../protocol/cursor';
import { DecodeError } from '../../protocol/errors';
import { lengthPrefixedLe } from '../le';
import type { ImaEntry } from './binary';

// Digest sizes by the kernel's hash_algo_name (crypto/hash_info.c), as they appear in d-ng fields.
const FILE_DIGEST_SIZES: ReadonlyMap<string, number> = new Map([
  ['md4', 16], ['md5', 16], ['sha1', 20], ['rmd160', 20], ['sha256', 32], ['sha384', 48], ['sha512', 64],
  ['sha224', 28], ['rmd128', 16], ['rmd256', 32], ['rmd320', 40], ['wp256', 32], ['wp384', 48], ['wp512', 64],
  ['tgr128', 16], ['tgr160', 20], ['tgr192', 24], ['sm3', 32], ['sm3-256', 32], ['streebog256', 32],
  ['streebog512', 64], ['sha3-256', 32], ['sha3-384', 48], ['sha3-512', 64],
]);

export function fileDigestSize(algorithm: string): number | undefined {
  return FILE_DIGEST_SIZES.get(algorithm);
}

export interface ImaFields {
  /** Digest of the file (or buffer); `ima` carries a bare SHA-1. */
  fileDigest: { algorithm: string; digest: Buffer };
  /** File path, or the event name for ima-buf (boot_aggregate for the first entry). */
  path: string;
  /** ima-sig: the file's IMA signature (security.ima), empty when unsigned. */
  signature?: Buffer;
  /** ima-buf: the measured buffer. */
  buffer?: Buffer;
}

/** d-ng (ima_template_lib.c): "<algo>:\0" then the digest. */
function readDigestNg(field: Buffer, at: number): ImaFields['fileDigest'] {
  const nul = field.indexOf(0);
  if (nul < 2 || field[nul - 1] !== 0x3a) throw new DecodeError('invalid', 'IMA d-ng field', at, 'no "<algo>:\\0" prefix');
  const algorithm = field.toString('latin1', 0, nul - 1);
  const size = FILE_DIGEST_SIZES.get(algorithm);
  if (size === undefined) throw new DecodeError('unsupported', 'IMA d-ng algorithm', at, `unknown algorithm '${algorithm}'`);
  const digest = field.subarray(nul + 1);
  if (digest.length !== size) throw new DecodeError('invalid', 'IMA d-ng digest', at + nul + 1, `${algorithm} digest of ${digest.length} bytes, expected ${size}`);
  return { algorithm, digest };
}

/** n-ng: the name with its terminating NUL. */
function readNameNg(field: Buffer, at: number): string {
  if (field.length === 0 || field[field.length - 1] !== 0) throw new DecodeError('invalid', 'IMA n-ng field', at, 'name not NUL-terminated');
  return field.toString('utf8', 0, field.length - 1);
}

/** Decodes the template fields of an entry (d|n, d-ng|n-ng, d-ng|n-ng|sig, d-ng|n-ng|buf). */
export function decodeImaFields(e: ImaEntry): ImaFields {
  const r = new Reader(e.templateData, e.dataOffset);
  if (e.template === 'ima') {
    const digest = r.bytes(20, 'IMA d field');
    const path = lengthPrefixedLe(r, 'IMA n field').toString('utf8');
    r.end('IMA ima template data');
    return { fileDigest: { algorithm: 'sha1', digest }, path };
  }
  const dAt = r.offset + 4;
  const fileDigest = readDigestNg(lengthPrefixedLe(r, 'IMA d-ng field'), dAt);
  const nAt = r.offset + 4;
  const path = readNameNg(lengthPrefixedLe(r, 'IMA n-ng field'), nAt);
  const fields: ImaFields = { fileDigest, path };
  if (e.template === 'ima-sig') fields.signature = lengthPrefixedLe(r, 'IMA sig field');
  if (e.template === 'ima-buf') fields.buffer = lengthPrefixedLe(r, 'IMA buf field');
  r.end(`IMA ${e.template} template data`);
  return fields;
}

/** ima.h IMA_EVENT_NAME_LEN_MAX + 1: the `ima` template hashes its name padded to this size. */
export const IMA_NAME_PADDED = 256;

/**
 * The bytes the kernel hashes for the template hash (ima_calc_field_array_hash) of an `ima`
 * entry: the 20-byte digest, then the name zero-padded to 256 bytes, written into `scratch`
 * (>= 276 bytes); returns the length. Other templates hash exactly the listed data.
 */
export function imaTemplateHashInput(buf: Buffer, dataAt: number, dataLen: number, scratch: Buffer): number {
  buf.copy(scratch, 0, dataAt, dataAt + 20);
  scratch.fill(0, 20, 20 + IMA_NAME_PADDED);
  buf.copy(scratch, 20, dataAt + 24, dataAt + dataLen);
  return 20 + IMA_NAME_PADDED;
}
