import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import type { AttributeType, PaAttribute } from '../../src/protocol/pa-tnc/registry';
import { decodeBatch, PbPaMsg } from '../../src/protocol/pb-tnc';

/** Encodes one attribute in a PA-TNC message and decodes it again; returns the value and the bytes. */
export function roundTrip<V>(t: AttributeType<V>, value: V): { value: V; bytes: Buffer; reencoded: Buffer } {
  const bytes = encodePaMessage({ messageId: 7, attributes: [t.make(value)] });
  const m = decodePaMessage(bytes, ALL_CODECS.pa);
  const a = m.attributes[0];
  if (m.attributes.length !== 1 || !t.is(a))
    throw new Error(`round trip of ${t.fullName} gave ${m.attributes.length} attributes`);
  return { value: a.value, bytes, reencoded: encodePaMessage(m) };
}

/** Decodes the value of attribute `t` alone, as the PA-TNC layer would (trailing bytes rejected). */
export function decodeValue<V>(t: AttributeType<V>, value: Buffer): V {
  const header = Buffer.alloc(12);
  header.writeUIntBE(t.spec.vendor, 1, 3);
  header.writeUInt32BE(t.spec.type, 4);
  header.writeUInt32BE(12 + value.length, 8);
  const m = decodePaMessage(Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 1]), header, value]), ALL_CODECS.pa);
  return (m.attributes[0] as PaAttribute<V>).value;
}

export const VECTORS = join(__dirname, '..', 'data', 'vectors');

/** Every PA-TNC attribute of a captured PB-TNC batch, through our own PB-TNC and PA-TNC decoders. */
export function vectorAttributes(file: string): PaAttribute[] {
  const batch = decodeBatch(readFileSync(join(VECTORS, file)), ALL_CODECS.pb);
  return batch.messages
    .filter((m) => PbPaMsg.is(m))
    .flatMap((m) => decodePaMessage(m.value.body, ALL_CODECS.pa).attributes);
}

export function readLog(file: string): string {
  return readFileSync(join(VECTORS, file), 'utf8');
}

/** The bytes of a strongSwan `title: => N bytes @ 0x…` hex dump that follows `title` in a log. */
export function logHexDump(log: string, title: string): Buffer {
  const lines = log.slice(log.indexOf(`${title}: => `)).split('\n');
  const n = Number(/=> (\d+) bytes/.exec(lines[0])?.[1]);
  const hex = lines
    .slice(1)
    .map((l) => /\]\s+\d+: ((?:[0-9A-F]{2} )+)/.exec(l)?.[1] ?? '')
    .join('')
    .replace(/ /g, '');
  return Buffer.from(hex.slice(0, 2 * n), 'hex');
}
