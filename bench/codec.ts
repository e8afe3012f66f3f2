import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS } from '../src/protocol/codecs';
import { decodePaMessage, encodePaMessage, PaMessage } from '../src/protocol/pa-tnc/message';
import { ProductInformationAttr } from '../src/protocol/pa-tnc/ietf';
import { decodeBatch, encodeBatch, PbBatch, PbPaMsg } from '../src/protocol/pb-tnc';
import { line, rate } from './_util';

// PB-TNC + PA-TNC codec throughput over the strongSwan vectors, and PA-TNC over one message of
// 10,000 attributes. For the vectors "messages" counts PB-TNC messages plus the PA-TNC messages inside.
const VECTORS = join(__dirname, '..', 'test', 'data', 'vectors');

function loadVectors(): Buffer[] {
  return [VECTORS, join(VECTORS, 'profile-B')].flatMap((d) =>
    readdirSync(d)
      .filter((n) => n.endsWith('.bin'))
      .map((n) => readFileSync(join(d, n))),
  );
}

/** Decodes a batch and every PA-TNC message in it; returns the batch and the decoded PA messages. */
function decodeAll(b: Buffer): { batch: PbBatch; pa: PaMessage[] } {
  const batch = decodeBatch(b, ALL_CODECS.pb);
  const pa = batch.messages
    .filter((m) => PbPaMsg.is(m))
    .map((m) => decodePaMessage((m.value as { body: Buffer }).body, ALL_CODECS.pa));
  return { batch, pa };
}

function encodeAll(d: { batch: PbBatch; pa: PaMessage[] }): void {
  let i = 0;
  const messages = d.batch.messages.map((m) =>
    PbPaMsg.is(m) ? PbPaMsg.make({ ...m.value, body: encodePaMessage(d.pa[i++]) }) : m,
  );
  encodeBatch({ ...d.batch, messages });
}

function figures(what: string, bytes: number, items: number, perSecond: number, unit = 'messages/s'): void {
  line('codec', `${what} throughput`, (bytes * perSecond) / 1e6, 'MB/s');
  line('codec', `${what} rate`, items * perSecond, unit);
}

export function run(): void {
  const vectors = loadVectors();
  const decoded = vectors.map(decodeAll);
  const bytes = vectors.reduce((n, b) => n + b.length, 0);
  const items = decoded.reduce((n, d) => n + d.batch.messages.length + d.pa.length, 0);
  figures(
    'vectors decode (PB-TNC + PA-TNC)',
    bytes,
    items,
    rate(() => vectors.forEach(decodeAll)),
  );
  figures(
    'vectors encode (PB-TNC + PA-TNC)',
    bytes,
    items,
    rate(() => decoded.forEach(encodeAll)),
  );

  const attributes = Array.from({ length: 10_000 }, (_, i) =>
    ProductInformationAttr.make({ vendor: 9586, productId: i & 0xffff, name: `Debian ${i}` }),
  );
  const synthetic = encodePaMessage({ messageId: 1, attributes });
  const msg = decodePaMessage(synthetic, ALL_CODECS.pa);
  figures(
    'PA-TNC 10,000 attributes decode',
    synthetic.length,
    attributes.length,
    rate(() => decodePaMessage(synthetic, ALL_CODECS.pa)),
    'attributes/s',
  );
  figures(
    'PA-TNC 10,000 attributes encode',
    synthetic.length,
    attributes.length,
    rate(() => encodePaMessage(msg)),
    'attributes/s',
  );
}
