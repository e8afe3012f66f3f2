import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { Writer } from '../../src/bytes/cursor';
import { DecodeError } from '../../src/bytes/errors';
import { decodePaMessage, encodeAttribute, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { PaAttribute } from '../../src/protocol/pa-tnc/registry';
import * as ietf from '../../src/protocol/pa-tnc/ietf';

/** Encodes attributes into a PA-TNC message, decodes it back and checks values and bytes. */
function roundTrip(attrs: PaAttribute[]): void {
  const bytes = encodePaMessage({ messageId: 0x9db26aae, attributes: attrs });
  const back = decodePaMessage(bytes, ALL_CODECS.pa);
  assert.equal(back.attributes.length, attrs.length);
  back.attributes.forEach((a, i) => {
    assert.equal(a.spec, attrs[i].spec, `attribute ${i} decoded by its own spec`);
    assert.deepEqual(a.value, attrs[i].value);
    assert.equal(a.noskip, attrs[i].noskip);
  });
  assert.deepEqual(encodePaMessage(back), bytes);
}

/** One attribute with a hand-written value, as a PA-TNC message. */
function message(vendor: number, type: number, value: number[] | Buffer): Buffer {
  const w = new Writer();
  w.u8(1)
    .zeros(3)
    .u32(7)
    .u8(0)
    .u24(vendor)
    .u32(type)
    .u32(12 + value.length)
    .bytes(Buffer.from(value));
  return w.finish();
}

const rejects = (b: Buffer, kind: DecodeError['kind'], offset: number) =>
  assert.throws(
    () => decodePaMessage(b, ALL_CODECS.pa),
    (e: unknown) => e instanceof DecodeError && e.kind === kind && e.offset === offset,
    `expected ${kind} at ${offset}`,
  );

test('every IETF attribute round-trips', () => {
  roundTrip([
    ietf.TestingAttr.make(Buffer.from([1, 2, 3])),
    ietf.AttributeRequestAttr.make(
      [
        { vendor: 0, type: 2 },
        { vendor: 0x902a, type: 8 },
      ],
      true,
    ),
    ietf.ProductInformationAttr.make({ vendor: 0x2572, productId: 0, name: 'Debian' }),
    ietf.NumericVersionAttr.make({
      major: 20,
      minor: 4,
      build: 0xffffffff,
      servicePackMajor: 1,
      servicePackMinor: 0xffff,
    }),
    ietf.StringVersionAttr.make({ version: '20.04 x86_64', build: '', config: 'ünïcode' }),
    ietf.OperationalStatusAttr.make({ status: 'operational', result: 'successful', lastUse: '2022-05-31T08:26:24Z' }),
    ietf.PortFilterAttr.make([
      { blocked: true, protocol: 6, port: 22 },
      { blocked: false, protocol: 17, port: 65535 },
    ]),
    ietf.InstalledPackagesAttr.make([
      { name: 'libc6', version: '2.36-9' },
      { name: '', version: '' },
    ]),
    ietf.PaTncErrorAttr.make({
      vendor: 0,
      code: 4,
      info: { kind: 'swima', requestId: 659, description: 'subscriptions not enabled' },
    }),
    ietf.AssessmentResultAttr.make("don't know"),
    ietf.RemediationInstructionsAttr.make({ kind: 'string', text: 'update now', language: 'en' }),
    ietf.RemediationInstructionsAttr.make({ kind: 'uri', uri: 'https://example.org/fix' }),
    ietf.RemediationInstructionsAttr.make({ kind: 'other', vendor: 0x5597, type: 9, raw: Buffer.from([0xab]) }),
    ietf.ForwardingEnabledAttr.make('unknown'),
    ietf.FactoryDefaultPasswordAttr.make(true),
  ]);
});

test('describe() words attributes as strongSwan logs them', () => {
  assert.deepEqual(
    ietf.OperationalStatusAttr.spec.describe?.({
      status: 'operational',
      result: 'successful',
      lastUse: '2022-05-31T08:26:24Z',
    }),
    ['operational status: operational, result: successful', 'last boot: May 31 08:26:24 UTC 2022'],
  );
  assert.deepEqual(ietf.ForwardingEnabledAttr.spec.describe?.('enabled'), ['IPv4 forwarding is enabled']);
  assert.deepEqual(ietf.FactoryDefaultPasswordAttr.spec.describe?.(false), ['factory default password is disabled']);
  assert.deepEqual(
    ietf.NumericVersionAttr.spec.describe?.({
      major: 20,
      minor: 4,
      build: 0,
      servicePackMajor: 0,
      servicePackMinor: 0,
    }),
    ['operating system numeric version is 20.4'],
  );
});

test('enumerated values outside their set are rejected at the field', () => {
  rejects(message(0, 5, [4, 1, 0, 0, ...Buffer.from('2022-05-31T08:26:24Z')]), 'invalid', 20);
  rejects(message(0, 5, [3, 4, 0, 0, ...Buffer.from('2022-05-31T08:26:24Z')]), 'invalid', 21);
  rejects(message(0, 5, [3, 1, 0, 0, ...Buffer.from('31 May 2022 08:26:24')]), 'invalid', 24);
  rejects(message(0, 9, [0, 0, 0, 5]), 'invalid', 20);
  rejects(message(0, 11, [0, 0, 0, 3]), 'invalid', 20);
  rejects(message(0, 12, [0, 0, 0, 2]), 'invalid', 20);
});

test('fixed sizes and entry multiples are enforced', () => {
  rejects(message(0, 3, Buffer.alloc(15)), 'truncated', 34);
  rejects(message(0, 3, Buffer.alloc(17)), 'trailing', 36);
  rejects(message(0, 1, Buffer.alloc(9)), 'invalid', 20);
  rejects(message(0, 6, Buffer.alloc(6)), 'invalid', 20);
  rejects(message(0, 12, Buffer.alloc(3)), 'truncated', 20);
});

test('lengths and counts are checked against the bytes really there', () => {
  // String Version: first string claims 200 bytes, 2 left
  rejects(message(0, 4, [200, 0x41, 0x42]), 'overrun', 20);
  // Installed Packages: 0xffff packages announced in 4 bytes
  rejects(message(0, 7, [0, 0, 0xff, 0xff, 1, 0x61, 1, 0x62]), 'overrun', 22);
  // one package fits, a second is announced but missing
  rejects(message(0, 7, [0, 0, 0, 2, 1, 0x61, 1, 0x62, 5]), 'overrun', 28);
  // Remediation string longer than the value
  rejects(message(0, 10, [0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1, 0, 0x61]), 'overrun', 28);
});

test('strings must be valid UTF-8', () => {
  rejects(message(0, 4, [2, 0xc3, 0x28, 0, 0]), 'invalid', 21);
  rejects(message(0, 10, [0, 0, 0, 0, 0, 0, 0, 1, 0xff]), 'invalid', 28);
});

test('Operational Status refuses to encode a malformed time', () => {
  const w = new Writer();
  assert.throws(
    () =>
      encodeAttribute(
        w,
        ietf.OperationalStatusAttr.make({ status: 'unknown', result: 'unknown', lastUse: 'yesterday' }),
      ),
    RangeError,
  );
});
