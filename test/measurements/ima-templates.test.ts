import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeImaFields, templateFields, type ImaEntry } from '../../src/measurements/ima';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { ImaTemplateDataAttr } from '../../src/protocol/pa-tnc/tnc-agent';
import { hashAlgInfo, HASH_ALG, PCR_TRANSFORM } from '../../src/protocol/pa-tnc/tcg/pts';
import { bindTemplateData } from '../../src/imvs/attestation/ima-binding';
import { matchesUnbound } from '../../src/imvs/attestation/ima-lookup';

// Template data per template (Linux ima_template.c, ima_template_lib.c): every field u32 length + bytes.
const field = (b: Buffer) => Buffer.concat([Buffer.from([b.length & 0xff, b.length >> 8, 0, 0]), b]);
const digest = createHash('sha256').update('file').digest();
const dng = field(Buffer.concat([Buffer.from('sha256:\0', 'latin1'), digest]));
const dngv2 = field(Buffer.concat([Buffer.from('ima:sha256:\0', 'latin1'), digest]));
const name = field(Buffer.from('/usr/bin/signed\0', 'utf8'));
const sig = field(Buffer.from('030204aabbccdd0008', 'hex'));
const entry = (template: string, data: Buffer): ImaEntry => ({
  offset: 0,
  pcr: 10,
  templateHash: Buffer.alloc(20),
  template,
  templateData: data,
  dataOffset: 0,
});
const sha256 = hashAlgInfo(HASH_ALG.SHA256)!;

test('templates by field list: built-in names and ima_template_fmt lists decode their digest, name and signature', () => {
  assert.deepEqual(templateFields('ima-sig'), ['d-ng', 'n-ng', 'sig']);
  assert.deepEqual(templateFields('d-ng|n-ng|sig|iuid'), ['d-ng', 'n-ng', 'sig', 'iuid']);
  assert.equal(templateFields('d-ng|bogus'), undefined);
  assert.equal(templateFields(''), undefined);
  const custom = decodeImaFields(entry('d-ng|n-ng|sig', Buffer.concat([dng, name, sig])));
  assert.deepEqual(
    [custom.fileDigest.algorithm, custom.path, custom.signature?.toString('hex')],
    ['sha256', '/usr/bin/signed', '030204aabbccdd0008'],
  );
  const v2 = decodeImaFields(entry('ima-sigv2', Buffer.concat([dngv2, name, sig])));
  assert.deepEqual(v2.fileDigest.digest, digest);
  // a field the template does not name is trailing data
  assert.throws(
    () => decodeImaFields(entry('ima-ng', Buffer.concat([dng, name, sig]))),
    /trailing|IMA ima-ng template data/,
  );
});

test('the verifier binds ima-sig and custom-template entries by their template data; the attribute carries field-list names', () => {
  const data = Buffer.concat([dng, name, sig]);
  const measurement = createHash('sha256').update(data).digest();
  const bound = bindTemplateData({ template: 'd-ng|n-ng|sig', data }, measurement, sha256, PCR_TRANSFORM.MATCH);
  assert.equal(typeof bound, 'object');
  if (typeof bound === 'string') return;
  assert.equal(bound.path, '/usr/bin/signed');
  assert.equal(bound.signature?.length, 9);
  assert.match(
    bindTemplateData({ template: 'd-ng|n-ng|sig', data }, Buffer.alloc(32), sha256, PCR_TRANSFORM.MATCH) as string,
    /does not hash/,
  );
  const wire = encodePaMessage({
    messageId: 7,
    attributes: [ImaTemplateDataAttr.make({ template: 'd-ng|n-ng|sig', data })],
  });
  const [back] = decodePaMessage(wire, ALL_CODECS.pa).attributes;
  assert.ok(ImaTemplateDataAttr.is(back));
  assert.deepEqual(back.value, { template: 'd-ng|n-ng|sig', data });
});

test('without template data, an ima-sig entry of an unsigned file (empty sig field) still recomputes', () => {
  const uri = { algorithm: 'sha256', path: '/usr/bin/signed' };
  const unsigned = createHash('sha256')
    .update(Buffer.concat([dng, name, field(Buffer.alloc(0))]))
    .digest();
  assert.ok(matchesUnbound(sha256, PCR_TRANSFORM.MATCH, uri, digest, unsigned));
  const ng = createHash('sha256')
    .update(Buffer.concat([dng, name]))
    .digest();
  assert.ok(matchesUnbound(sha256, PCR_TRANSFORM.MATCH, uri, digest, ng));
  const signed = createHash('sha256')
    .update(Buffer.concat([dng, name, sig]))
    .digest();
  assert.ok(!matchesUnbound(sha256, PCR_TRANSFORM.MATCH, uri, digest, signed));
});
