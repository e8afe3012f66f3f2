import { DecodeError } from '../../bytes/errors';
import { PCR_MAX, type ImaEntry } from './binary';
import { escapeText, fileDigestSize, templateFields } from './template';

/**
 * ascii_runtime_measurements (ima_fs.c, ima_ascii_measurements_show): one line per entry,
 * "PCR template-hash template-name field field...", fields separated by one space. The entries
 * are rebuilt with the binary template data, so replay and template-hash checks work the same.
 * The template hash is a SHA-1, or the bank's digest in a per-bank list (ascii_runtime_measurements_sha256, ...).
 */
const HEX = /^(?:[0-9a-f]{2})*$/;
/** Template hash sizes a list can have: SHA-1, and the per-bank lists' sha256/sm3, sha384, sha512. */
const HASH_SIZES: ReadonlySet<number> = new Set([20, 32, 48, 64]);

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

function field(data: Buffer): Buffer[] {
  return [u32le(data.length), data];
}

function hexField(text: string, what: string, at: number, size?: number): Buffer {
  if (!HEX.test(text) || (size !== undefined && text.length !== 2 * size)) {
    throw new DecodeError(
      'invalid',
      what,
      at,
      `'${escapeText(text.slice(0, 80))}' is not ${size ?? 'a'}${size ? '-byte' : ''} hex`,
    );
  }
  return Buffer.from(text, 'hex');
}

/** "algo:hex" (d-ng) or "type:algo:hex" (d-ngv2) → the field's bytes "algo:\0" + digest. */
function digestNg(text: string, at: number): Buffer {
  const colon = text.lastIndexOf(':');
  const prefix = text.slice(0, colon);
  const algorithm = prefix.slice(prefix.lastIndexOf(':') + 1);
  const size = fileDigestSize(algorithm);
  if (colon < 1 || size === undefined)
    throw new DecodeError(
      'unsupported',
      'IMA d-ng algorithm',
      at,
      `unknown algorithm '${escapeText(algorithm.slice(0, 40))}'`,
    );
  return Buffer.concat([
    Buffer.from(`${prefix}:\0`, 'latin1'),
    hexField(text.slice(colon + 1), 'IMA d-ng digest', at + colon + 1, size),
  ]);
}

/** One field's binary value from its ascii form (ima_template_lib.c field_show, IMA_SHOW_ASCII). */
function fieldValue(id: string, text: string, at: number): Buffer {
  if (id === 'd-ng' || id === 'd-ngv2') return digestNg(text, at);
  if (id === 'n-ng') return Buffer.from(`${text}\0`, 'utf8');
  if (id === 'n') return Buffer.from(text, 'utf8');
  return hexField(text, `IMA ${id} field`, at);
}

const NAME_FIELDS: ReadonlySet<string> = new Set(['n', 'n-ng']);

function templateData(template: string, ids: readonly string[], tokens: string[], at: number): Buffer {
  if (template === 'ima') {
    const digest = hexField(tokens[0] ?? '', 'IMA d field', at, 20);
    const name = Buffer.from(tokens.slice(1).join(' '), 'utf8');
    return Buffer.concat([digest, ...field(name)]);
  }
  // the name may hold spaces: every other field is one token, the name takes what is left
  const nameAt = ids.findIndex((id) => NAME_FIELDS.has(id));
  const after = nameAt < 0 ? 0 : ids.length - nameAt - 1;
  if (tokens.length < ids.length)
    throw new DecodeError('truncated', `IMA ${escapeText(template)} line`, at, 'missing fields');
  const values = ids.map((_id, i) => {
    if (i === nameAt) return tokens.slice(i, tokens.length - after).join(' ');
    return tokens[i < nameAt || nameAt < 0 ? i : tokens.length - (ids.length - i)];
  });
  if (nameAt < 0 && tokens.length > ids.length)
    throw new DecodeError('trailing', `IMA ${escapeText(template)} line`, at, 'more fields than the template has');
  return Buffer.concat(ids.flatMap((id, i) => field(fieldValue(id, values[i], at))));
}

function parseLine(line: string, at: number, hashSize: number | undefined): ImaEntry {
  const [pcrText, hashText, name, ...tokens] = line.split(' ');
  if (!/^\d{1,2}$/.test(pcrText) || Number(pcrText) > PCR_MAX)
    throw new DecodeError(
      'invalid',
      'IMA ascii PCR',
      at,
      `'${escapeText(pcrText.slice(0, 20))}' is not a PCR number (0-${PCR_MAX})`,
    );
  const size = hashSize ?? (hashText ?? '').length / 2;
  if (!HASH_SIZES.has(size))
    throw new DecodeError(
      'invalid',
      'IMA ascii template hash',
      at + pcrText.length + 1,
      `'${escapeText((hashText ?? '').slice(0, 80))}' is not a 20, 32, 48 or 64-byte hex digest`,
    );
  const templateHash = hexField(hashText ?? '', 'IMA ascii template hash', at + pcrText.length + 1, size);
  const ids = name === undefined ? undefined : templateFields(name);
  if (name === undefined || !ids)
    throw new DecodeError(
      'unsupported',
      'IMA template name',
      at,
      `unknown template '${escapeText((name ?? '').slice(0, 80))}'`,
    );
  return {
    offset: at,
    pcr: Number(pcrText),
    templateHash,
    template: name,
    templateData: templateData(name, ids, tokens, at),
    dataOffset: at,
  };
}

/**
 * Iterates an ascii list line by line; offsets are absolute byte positions of each line. Every
 * template hash has `hashSize` bytes, by default the size of the first line's.
 */
export function* iterateImaAscii(buf: Buffer, base = 0, hashSize?: number): Generator<ImaEntry> {
  let at = 0;
  let size = hashSize;
  while (at < buf.length) {
    let nl = buf.indexOf(0x0a, at);
    if (nl < 0) nl = buf.length;
    const line = buf.toString('utf8', at, nl);
    if (line.length > 0) {
      const e = parseLine(line, base + at, size);
      size ??= e.templateHash.length;
      yield e;
    }
    at = nl + 1;
  }
}

export function decodeImaAscii(buf: Buffer, base = 0, hashSize?: number): ImaEntry[] {
  return [...iterateImaAscii(buf, base, hashSize)];
}
