import { DecodeError } from '../../protocol/errors';
import type { ImaEntry, ImaTemplate } from './binary';
import { fileDigestSize } from './template';

/**
 * ascii_runtime_measurements (ima_fs.c, ima_ascii_measurements_show): one line per entry,
 * "PCR template-hash template-name field field...", fields separated by one space. The entries
 * are rebuilt with the binary template data, so replay and template-hash checks work the same.
 */
const HEX = /^(?:[0-9a-f]{2})*$/;

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
    throw new DecodeError('invalid', what, at, `'${text.slice(0, 80)}' is not ${size ?? 'a'}${size ? '-byte' : ''} hex`);
  }
  return Buffer.from(text, 'hex');
}

/** "algo:hex" → the d-ng field's bytes "algo:\0" + digest. */
function digestNg(text: string, at: number): Buffer {
  const colon = text.indexOf(':');
  const algorithm = text.slice(0, colon);
  const size = fileDigestSize(algorithm);
  if (colon < 1 || size === undefined) throw new DecodeError('unsupported', 'IMA d-ng algorithm', at, `unknown algorithm '${algorithm}'`);
  return Buffer.concat([Buffer.from(`${algorithm}:\0`, 'latin1'), hexField(text.slice(colon + 1), 'IMA d-ng digest', at + colon + 1, size)]);
}

function templateData(template: ImaTemplate, fields: string[], at: number): Buffer {
  if (template === 'ima') {
    const digest = hexField(fields[0] ?? '', 'IMA d field', at, 20);
    const name = Buffer.from(fields.slice(1).join(' '), 'utf8');
    return Buffer.concat([digest, ...field(name)]);
  }
  const d = digestNg(fields[0] ?? '', at);
  const last = template === 'ima-ng' ? fields.length : fields.length - 1;
  if (last < 2) throw new DecodeError('truncated', `IMA ${template} line`, at, 'missing fields');
  const name = Buffer.from(`${fields.slice(1, last).join(' ')}\0`, 'utf8');
  const parts = [...field(d), ...field(name)];
  if (template !== 'ima-ng') parts.push(...field(hexField(fields[last], `IMA ${template === 'ima-sig' ? 'sig' : 'buf'} field`, at)));
  return Buffer.concat(parts);
}

const TEMPLATES = new Set<string>(['ima', 'ima-ng', 'ima-sig', 'ima-buf']);

function parseLine(line: string, at: number): ImaEntry {
  const [pcrText, hashText, name, ...fields] = line.split(' ');
  if (!/^\d{1,2}$/.test(pcrText)) throw new DecodeError('invalid', 'IMA ascii PCR', at, `'${pcrText.slice(0, 20)}' is not a PCR number`);
  const templateHash = hexField(hashText ?? '', 'IMA ascii template hash', at + pcrText.length + 1, 20);
  if (name === undefined || !TEMPLATES.has(name)) throw new DecodeError('unsupported', 'IMA template name', at, `unknown template '${name ?? ''}'`);
  const template = name as ImaTemplate;
  return { offset: at, pcr: Number(pcrText), templateHash, template, templateData: templateData(template, fields, at), dataOffset: at };
}

/** Iterates an ascii list line by line; offsets are absolute byte positions of each line. */
export function* iterateImaAscii(buf: Buffer, base = 0): Generator<ImaEntry> {
  let at = 0;
  while (at < buf.length) {
    let nl = buf.indexOf(0x0a, at);
    if (nl < 0) nl = buf.length;
    const line = buf.toString('utf8', at, nl);
    if (line.length > 0) yield parseLine(line, base + at);
    at = nl + 1;
  }
}

export function decodeImaAscii(buf: Buffer, base = 0): ImaEntry[] {
  return [...iterateImaAscii(buf, base)];
}
