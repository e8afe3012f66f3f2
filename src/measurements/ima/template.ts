import { Reader } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';
import { lengthPrefixedLe } from '../le';
import type { ImaEntry } from './binary';

// Digest sizes by the kernel's hash_algo_name (crypto/hash_info.c), as they appear in d-ng fields.
const FILE_DIGEST_SIZES: ReadonlyMap<string, number> = new Map([
  ['md4', 16],
  ['md5', 16],
  ['sha1', 20],
  ['rmd160', 20],
  ['sha256', 32],
  ['sha384', 48],
  ['sha512', 64],
  ['sha224', 28],
  ['rmd128', 16],
  ['rmd256', 32],
  ['rmd320', 40],
  ['wp256', 32],
  ['wp384', 48],
  ['wp512', 64],
  ['tgr128', 16],
  ['tgr160', 20],
  ['tgr192', 24],
  ['sm3', 32],
  ['sm3-256', 32],
  ['streebog256', 32],
  ['streebog512', 64],
  ['sha3-256', 32],
  ['sha3-384', 48],
  ['sha3-512', 64],
]);

export function fileDigestSize(algorithm: string): number | undefined {
  return FILE_DIGEST_SIZES.get(algorithm);
}

/**
 * Linux security/integrity/ima/ima_template.c: the built-in templates and their field lists. A kernel
 * booted with ima_template_fmt= lists the field list itself as the template name ("d-ng|n-ng|sig").
 */
const BUILTIN_TEMPLATES: ReadonlyMap<string, string> = new Map([
  ['ima', 'd|n'],
  ['ima-ng', 'd-ng|n-ng'],
  ['ima-ngv2', 'd-ngv2|n-ng'],
  ['ima-sig', 'd-ng|n-ng|sig'],
  ['ima-sigv2', 'd-ngv2|n-ng|sig'],
  ['ima-buf', 'd-ng|n-ng|buf'],
  ['ima-modsig', 'd-ng|n-ng|sig|d-modsig|modsig'],
  ['evm-sig', 'd-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode'],
]);
/** ima_template.c supported_fields. */
const FIELD_IDS: ReadonlySet<string> = new Set([
  'd',
  'n',
  'd-ng',
  'd-ngv2',
  'n-ng',
  'sig',
  'buf',
  'd-modsig',
  'modsig',
  'evmsig',
  'iuid',
  'igid',
  'imode',
  'xattrnames',
  'xattrlengths',
  'xattrvalues',
]);
/** ima.h IMA_TEMPLATE_NUM_FIELDS_MAX. */
const FIELDS_MAX = 15;

/** A template name as the kernel lists it: a built-in name or an ima_template_fmt field list. */
export type ImaTemplate = string;

/** The field ids of a template, or undefined for a name that is neither built in nor a valid field list. */
export function templateFields(template: string): readonly string[] | undefined {
  const fields = (BUILTIN_TEMPLATES.get(template) ?? template).split('|');
  if (fields.length > FIELDS_MAX || !fields.every((f) => FIELD_IDS.has(f))) return undefined;
  return fields;
}

export interface ImaFields {
  /** Digest of the file (or buffer); `ima` and the `d` field carry a bare SHA-1. */
  fileDigest: { algorithm: string; digest: Buffer };
  /** File path, or the event name for ima-buf (boot_aggregate for the first entry). */
  path: string;
  /** The sig field: the file's IMA signature (security.ima), empty when unsigned. */
  signature?: Buffer;
  /** The buf field: the measured buffer. */
  buffer?: Buffer;
}

/** d-ng ("<algo>:\0" digest) and d-ngv2 ("<type>:<algo>:\0" digest), ima_template_lib.c. */
function readDigestNg(field: Buffer, at: number, v2: boolean): ImaFields['fileDigest'] {
  const nul = field.indexOf(0);
  if (nul < 2 || field[nul - 1] !== 0x3a)
    throw new DecodeError('invalid', 'IMA d-ng field', at, 'no "<algo>:\\0" prefix');
  let prefix = field.toString('latin1', 0, nul - 1);
  if (v2) {
    const colon = prefix.indexOf(':');
    if (colon < 1) throw new DecodeError('invalid', 'IMA d-ngv2 field', at, 'no "<type>:<algo>:\\0" prefix');
    prefix = prefix.slice(colon + 1);
  }
  const size = FILE_DIGEST_SIZES.get(prefix);
  if (size === undefined)
    throw new DecodeError('unsupported', 'IMA d-ng algorithm', at, `unknown algorithm '${escapeText(prefix)}'`);
  const digest = field.subarray(nul + 1);
  if (digest.length !== size)
    throw new DecodeError(
      'invalid',
      'IMA d-ng digest',
      at + nul + 1,
      `${prefix} digest of ${digest.length} bytes, expected ${size}`,
    );
  return { algorithm: prefix, digest };
}

/** n-ng: the name with its terminating NUL. */
function readNameNg(field: Buffer, at: number): string {
  if (field.length === 0 || field[field.length - 1] !== 0)
    throw new DecodeError('invalid', 'IMA n-ng field', at, 'name not NUL-terminated');
  return field.toString('utf8', 0, field.length - 1);
}

/**
 * Escapes control bytes (C0, DEL, C1) as \xNN so that untrusted text never drives a terminal.
 * Backslashes stay as they are, so escaping twice (decoder, then CLI) changes nothing more.
 */
export function escapeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function legacyIma(r: Reader): ImaFields {
  const digest = r.bytes(20, 'IMA d field');
  const path = lengthPrefixedLe(r, 'IMA n field').toString('utf8');
  r.end('IMA ima template data');
  return { fileDigest: { algorithm: 'sha1', digest }, path };
}

/** Decodes the template fields of an entry, for any built-in template or ima_template_fmt field list. */
export function decodeImaFields(e: ImaEntry): ImaFields {
  const r = new Reader(e.templateData, e.dataOffset);
  if (e.template === 'ima') return legacyIma(r);
  const ids = templateFields(e.template);
  if (!ids)
    throw new DecodeError(
      'unsupported',
      'IMA template name',
      e.dataOffset,
      `unknown template '${escapeText(e.template)}'`,
    );
  let fileDigest: ImaFields['fileDigest'] | undefined;
  let path: string | undefined;
  const out: Partial<ImaFields> = {};
  for (const id of ids) {
    const at = r.offset + 4;
    const field = lengthPrefixedLe(r, `IMA ${id} field`);
    if (id === 'd-ng' || id === 'd-ngv2') fileDigest = readDigestNg(field, at, id === 'd-ngv2');
    else if (id === 'd') fileDigest = { algorithm: 'sha1', digest: field };
    else if (id === 'n-ng') path = readNameNg(field, at);
    else if (id === 'n') path = field.toString('utf8');
    else if (id === 'sig') out.signature = field;
    else if (id === 'buf') out.buffer = field;
  }
  r.end(`IMA ${escapeText(e.template)} template data`);
  if (!fileDigest || path === undefined) {
    throw new DecodeError(
      'unsupported',
      'IMA template',
      e.dataOffset,
      `template '${escapeText(e.template)}' has no file digest and name fields`,
    );
  }
  return { fileDigest, path, ...out };
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
