import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { DecodeError } from '../../src/bytes/errors';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { PaAttribute } from '../../src/protocol/pa-tnc/registry';
import { PaTncError, PaTncErrorAttr } from '../../src/protocol/pa-tnc/ietf';
import {
  answerDecodeError,
  erroredMessageOf,
  paTncErrorFor,
  ptsError,
  swimaError,
} from '../../src/protocol/pa-tnc/errors';
import { NumericVersionAttr } from '../../src/protocol/pa-tnc/ietf';
import { VENDOR } from '../../src/protocol/vendors';

const header = { kind: 'message' as const, version: 1, reserved: 0, messageId: 0x9db26aae };

function roundTrip(e: PaTncError): PaTncError {
  const bytes = encodePaMessage({ messageId: 1, attributes: [PaTncErrorAttr.make(e)] });
  const back = decodePaMessage(bytes, ALL_CODECS.pa).attributes[0].value as PaTncError;
  assert.deepEqual(back, e);
  assert.deepEqual(encodePaMessage({ messageId: 1, attributes: [PaTncErrorAttr.make(back)] }), bytes);
  return back;
}

/** What decodePaMessage throws for `bytes`. */
function failure(bytes: Buffer): DecodeError {
  try {
    decodePaMessage(bytes, ALL_CODECS.pa);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  assert.fail('decoded without error');
}

test('every PA-TNC error code round-trips', () => {
  roundTrip({ vendor: 0, code: 1, info: { kind: 'invalid-parameter', message: header, offset: 20 } });
  roundTrip({
    vendor: 0,
    code: 2,
    info: {
      kind: 'version-not-supported',
      message: { ...header, version: 7, reserved: 0xabcdef },
      maxVersion: 1,
      minVersion: 1,
    },
  });
  roundTrip({
    vendor: 0,
    code: 3,
    info: {
      kind: 'attribute-type-not-supported',
      message: header,
      attribute: { flags: 0x80, vendor: 0x5597, type: 0x77 },
    },
  });
  for (const code of [4, 5, 8])
    roundTrip({ vendor: 0, code, info: { kind: 'swima', requestId: 659, description: 'subscriptions not enabled' } });
  roundTrip({
    vendor: 0,
    code: 6,
    info: { kind: 'swima-response-too-large', requestId: 3, maxAllowedSize: 65490, description: 'too big' },
  });
  roundTrip({
    vendor: 0,
    code: 7,
    info: {
      kind: 'swima-fulfillment',
      subscriptionId: 9,
      error: { vendor: 0, code: 4, info: Buffer.from([0, 0, 0, 9, 0x78]) },
    },
  });
  for (let code = 0; code <= 16; code++)
    roundTrip({ vendor: VENDOR.TCG, code, info: { kind: 'raw', info: Buffer.from([0, 0, 0x80, 0]) } });
  roundTrip({ vendor: 0, code: 99, info: { kind: 'raw', info: Buffer.alloc(0) } });
  roundTrip({
    vendor: 0,
    code: 1,
    info: { kind: 'invalid-parameter', message: { kind: 'segmented', baseMessageId: 3 }, offset: 8 },
  });
});

test('the segmented form is FF FF FF FF + base message ID', () => {
  const bytes = encodePaMessage({
    messageId: 1,
    attributes: [
      PaTncErrorAttr.make({
        vendor: 0,
        code: 1,
        info: { kind: 'invalid-parameter', message: { kind: 'segmented', baseMessageId: 2 }, offset: 5 },
      }),
    ],
  });
  assert.equal(bytes.subarray(28).toString('hex'), 'ffffffff0000000200000005');
});

test('fixed-size error information is checked', () => {
  const value = (code: number, info: number[]) =>
    Buffer.from([
      1,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      8,
      0,
      0,
      0,
      20 + info.length,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      code,
      ...info,
    ]);
  assert.equal(failure(value(1, [1, 0, 0, 0, 0, 0, 0, 1, 0, 0])).kind, 'truncated');
  assert.equal(failure(value(2, [1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 9])).kind, 'trailing');
  assert.equal(failure(value(4, [0, 0, 0, 1, 0xff])).kind, 'invalid');
});

test('describe() follows the seed log for SWIMA errors', () => {
  const a = swimaError(5, 659, 'subscriptions not enabled');
  assert.deepEqual(a.spec?.describe?.(a.value), [
    "PA-TNC error 'SWIMA Subscription Denied' for request 659",
    'description: subscriptions not enabled',
  ]);
  const p = ptsError(7, Buffer.from([0, 17, 0, 32]));
  assert.equal(p.spec?.describe?.(p.value)[0], "PA-TNC error 'bad nonce length'");
});

test('a NOSKIP attribute of unknown type is answered with Attribute Type Not Supported', () => {
  const bad = Buffer.from([1, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x80, 0, 0, 9, 0, 0, 0, 0x77, 0, 0, 0, 12]);
  const answer = answerDecodeError(failure(bad), bad);
  assert.deepEqual(answer?.value, {
    vendor: 0,
    code: 3,
    info: {
      kind: 'attribute-type-not-supported',
      message: { kind: 'message', version: 1, reserved: 0, messageId: 0xdeadbeef },
      attribute: { flags: 0x80, vendor: 9, type: 0x77 },
    },
  });
});

test('a wrong PA-TNC version is answered with Version Not Supported (1..1)', () => {
  const bad = Buffer.from([2, 0, 0, 0, 0, 0, 0, 5]);
  const answer = answerDecodeError(failure(bad), bad);
  assert.deepEqual(answer?.value.info, {
    kind: 'version-not-supported',
    message: { kind: 'message', version: 2, reserved: 0, messageId: 5 },
    maxVersion: 1,
    minVersion: 1,
  });
});

test('a bad field is answered with Invalid Parameter at its offset, relative to the message', () => {
  const good = encodePaMessage({
    messageId: 3,
    attributes: [NumericVersionAttr.make({ major: 1, minor: 0, build: 0, servicePackMajor: 0, servicePackMinor: 0 })],
  });
  const bad = good.subarray(0, good.length - 1);
  bad.writeUInt32BE(27, 16);
  const err = failure(bad);
  const answer = answerDecodeError(err, bad);
  assert.deepEqual(answer?.value.info, {
    kind: 'invalid-parameter',
    message: erroredMessageOf(bad),
    offset: err.offset,
  });
  // the service pack minor field (offset 34) is cut short
  assert.equal(err.offset, 34);
  // decoded at absolute base 100: the answer's offset is relative to the message
  const shifted = paTncErrorFor(new DecodeError('invalid', 'x', 132), { kind: 'segmented', baseMessageId: 4 }, 100);
  assert.deepEqual(shifted.value.info, {
    kind: 'invalid-parameter',
    message: { kind: 'segmented', baseMessageId: 4 },
    offset: 32,
  });
});

test('a malformed PA-TNC Error attribute is never answered', () => {
  const bad = Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0]);
  const err = failure(bad);
  assert.equal(answerDecodeError(err, bad), undefined);
  const answered: PaAttribute | undefined = answerDecodeError(new DecodeError('invalid', 'x', 4), bad);
  assert.ok(answered, 'a fault in the message header is still answered');
});
