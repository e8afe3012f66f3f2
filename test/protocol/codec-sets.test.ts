import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS, PA_FAMILIES, PB_FAMILIES } from '../../src/protocol/codecs';
import { ProductInformationAttr } from '../../src/protocol/pa-tnc/ietf';
import { decodePaMessage, encodePaMessage, UnsupportedAttributeError } from '../../src/protocol/pa-tnc/message';
import { AttributeType, PaCodecs } from '../../src/protocol/pa-tnc/registry';
import { PbMessageType } from '../../src/protocol/pb-tnc/registry';
import { ATTESTATION_CODECS } from '../../src/imcv/codecs/attestation';
import { OS_CODECS } from '../../src/imcv/codecs/os';
import { SWIMA_CODECS } from '../../src/imcv/codecs/swima';

// Codecs reach a decoder only in the set it is handed: nothing registers itself on import.
const product = ProductInformationAttr.make({ vendor: 0, productId: 0, name: 'Debian' });

test('a decoder reads only the families of its set: others are raw, or refused with NOSKIP', () => {
  const bytes = encodePaMessage({ messageId: 1, attributes: [product] });
  assert.ok(ProductInformationAttr.is(decodePaMessage(bytes, ALL_CODECS.pa).attributes[0]));
  const withoutIetf = new PaCodecs(PA_FAMILIES.filter((f) => !f.name.startsWith('IETF')));
  const raw = decodePaMessage(bytes, withoutIetf).attributes[0];
  assert.deepEqual([raw.spec, ProductInformationAttr.is(raw)], [undefined, false]);
  const noskip = encodePaMessage({ messageId: 1, attributes: [{ ...product, noskip: true }] });
  assert.throws(
    () => decodePaMessage(noskip, withoutIetf),
    (e: unknown) => e instanceof UnsupportedAttributeError && /IETF\/attribute-0x00000002/.test(e.message),
  );
});

test('a type is in one family only, and a set refuses a family given twice', () => {
  assert.throws(() => new PaCodecs([PA_FAMILIES[0], PA_FAMILIES[0]]), /defined twice/);
});

/** Every attribute and message type the modules under src/protocol export. */
async function exportedTypes(): Promise<{ pa: Set<unknown>; pb: Set<unknown> }> {
  const root = join(__dirname, '../../src/protocol');
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : [],
    );
  const pa = new Set<unknown>();
  const pb = new Set<unknown>();
  for (const file of walk(root))
    for (const v of Object.values((await import(file)) as object)) {
      if (v instanceof AttributeType) pa.add(v.spec);
      if (v instanceof PbMessageType) pb.add(v.spec);
    }
  return { pa, pb };
}

test('every attribute and message type src/protocol defines is in one of its families', async () => {
  const { pa, pb } = await exportedTypes();
  assert.ok(pa.size > 40 && pb.size > 8, `${pa.size} attribute and ${pb.size} message types found`);
  assert.deepEqual(
    [...pa].filter((s) => !PA_FAMILIES.some((f) => f.specs.includes(s as never))),
    [],
    'attribute types in no family',
  );
  assert.deepEqual(
    [...pb].filter((s) => !PB_FAMILIES.some((f) => f.specs.includes(s as never))),
    [],
    'message types in no family',
  );
});

test('each IMC/IMV kind reads IETF and TCG segmentation, and the families of its own protocol', () => {
  const names = (c: PaCodecs) => c.families.map((f) => f.name);
  assert.deepEqual(names(OS_CODECS), [
    'IETF PA-TNC attributes (RFC 5792)',
    'TCG IF-M Segmentation attributes',
    'ITA-HSR attributes',
  ]);
  assert.ok(names(SWIMA_CODECS).includes('SWIMA attributes (RFC 8412)'));
  assert.ok(!names(OS_CODECS).includes('TCG PTS attributes'));
  assert.ok(names(ATTESTATION_CODECS).includes('TCG PTS attributes'));
});
