import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage, UnsupportedAttributeError } from '../../src/protocol/pa-tnc/message';
import { ProductInformationAttr } from '../../src/protocol/pa-tnc/ietf';
import { DecodeError } from '../../src/bytes/errors';

test('PA-TNC message round-trips a typed attribute', () => {
  const bytes = encodePaMessage({
    messageId: 0x9db26aae,
    attributes: [ProductInformationAttr.make({ vendor: 1, productId: 2, name: 'Ubuntu' })],
  });
  const m = decodePaMessage(bytes, ALL_CODECS.pa);
  assert.equal(m.messageId, 0x9db26aae);
  const a = m.attributes[0];
  assert.ok(ProductInformationAttr.is(a));
  assert.equal(a.value.name, 'Ubuntu');
  assert.deepEqual(encodePaMessage(m), bytes);
});

test('unknown NOSKIP attribute names its header; unknown skippable one stays raw', () => {
  const body = (flags: number) =>
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, flags, 0, 0, 9, 0, 0, 0, 0x77, 0, 0, 0, 13, 0xaa]);
  const skip = decodePaMessage(body(0), ALL_CODECS.pa);
  assert.deepEqual(skip.attributes[0].value, { raw: Buffer.from([0xaa]) });
  assert.deepEqual(encodePaMessage(skip), body(0));
  assert.throws(
    () => decodePaMessage(body(0x80), ALL_CODECS.pa),
    (e: unknown) => e instanceof UnsupportedAttributeError && e.attribute.type === 0x77 && e.offset === 8,
  );
});

test('attribute length overrunning the message is rejected with its offset', () => {
  const b = Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff]);
  assert.throws(
    () => decodePaMessage(b, ALL_CODECS.pa),
    (e: unknown) => e instanceof DecodeError && e.kind === 'overrun' && e.offset === 16,
  );
});

test('wrong PA-TNC version is rejected', () => {
  assert.throws(
    () => decodePaMessage(Buffer.from([2, 0, 0, 0, 0, 0, 0, 1]), ALL_CODECS.pa),
    (e: unknown) => e instanceof DecodeError && e.kind === 'version',
  );
});
