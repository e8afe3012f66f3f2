import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeError } from '../../src/bytes/errors';
import {
  decodePtTlsMessage,
  encodePtTlsMessage,
  encodePtTlsMessageParts,
  PT_TLS_MAX_MESSAGE_LEN,
  ptTlsErrorName,
  ptTlsTypeName,
  PtTlsErrorCode,
  SaslResult,
  type PtTlsValue,
} from '../../src/protocol/pt-tls';

const isDecode = (kind: string, offset?: number) => (e: unknown) =>
  e instanceof DecodeError && e.kind === kind && (offset === undefined || e.offset === offset);

const samples: PtTlsValue[] = [
  { kind: 'experimental', data: Buffer.from('x') },
  { kind: 'versionRequest', minVersion: 1, maxVersion: 2, preferredVersion: 1 },
  { kind: 'versionResponse', version: 1 },
  { kind: 'saslMechanisms', mechanisms: [] },
  { kind: 'saslMechanisms', mechanisms: ['PLAIN', 'SCRAM-SHA-256'] },
  { kind: 'saslMechanismSelection', mechanism: 'PLAIN' },
  { kind: 'saslMechanismSelection', mechanism: 'PLAIN', initialResponse: Buffer.from('\0u\0p') },
  { kind: 'saslAuthenticationData', data: Buffer.from([1, 2, 3]) },
  { kind: 'saslResult', result: SaslResult.SUCCESS, codeWidth: 1 },
  { kind: 'saslResult', result: SaslResult.ABORT, codeWidth: 2 },
  { kind: 'saslResult', result: SaslResult.FAILURE, codeWidth: 2, data: Buffer.from('why') },
  { kind: 'pbTncBatch', batch: Buffer.from([2, 0, 0, 1, 0, 0, 0, 8]) },
  { kind: 'error', errorVendor: 0, errorCode: PtTlsErrorCode.VERSION_NOT_SUPPORTED, offending: Buffer.alloc(20, 7) },
  { kind: 'unknown', vendor: 0x00902a, type: 5, data: Buffer.from('vendor') },
];

test('every message type round-trips with its header', () => {
  for (const [i, value] of samples.entries()) {
    const bytes = encodePtTlsMessage({ id: i, value });
    assert.equal(bytes.readUInt32BE(8), bytes.length, 'length includes the header');
    assert.equal(bytes.readUInt32BE(12), i);
    const m = decodePtTlsMessage(bytes);
    assert.deepEqual(m, { id: i, value });
    assert.deepEqual(encodePtTlsMessage(m), bytes);
  }
});

test("the parts a message is written in are its encoding; a batch is the caller's buffer, not a copy", () => {
  for (const [i, value] of samples.entries())
    assert.deepEqual(Buffer.concat(encodePtTlsMessageParts({ id: i, value })), encodePtTlsMessage({ id: i, value }));
  const batch = Buffer.alloc(70_000, 9);
  const parts = encodePtTlsMessageParts({ id: 3, value: { kind: 'pbTncBatch', batch } });
  assert.equal(parts.length, 2);
  assert.equal(parts[0].length, 16);
  assert.equal(parts[1], batch);
});

test('names are printed as strongSwan and IANA print them', () => {
  assert.equal(ptTlsTypeName(0, 1), 'Version Request');
  assert.equal(ptTlsTypeName(0, 7), 'PB-TNC Batch');
  assert.equal(ptTlsTypeName(0, 8), 'PT-TLS Error');
  assert.equal(ptTlsErrorName(0, 2), 'Version Not Supported');
  assert.equal(ptTlsErrorName(0, 5), 'SASL Mechanism Error');
});

test('SASL Result: one byte by default (strongSwan), the RFC u16 form decoded too', () => {
  const one = encodePtTlsMessage({ id: 0, value: { kind: 'saslResult', result: SaslResult.ABORT } });
  assert.deepEqual(one.subarray(16), Buffer.from([2]));
  const rfc = Buffer.from('000000000000000600000012000000000002', 'hex');
  assert.deepEqual(decodePtTlsMessage(rfc).value, { kind: 'saslResult', result: SaslResult.ABORT, codeWidth: 2 });
  const bad = Buffer.from('00000000000000060000001100000000' + '09', 'hex');
  assert.throws(() => decodePtTlsMessage(bad), isDecode('invalid', 16));
});

test('header checks: short length, reserved type, length mismatch, oversize', () => {
  const vr = encodePtTlsMessage({ id: 0, value: { kind: 'versionResponse', version: 1 } });
  const withLen = (n: number) =>
    Buffer.concat([vr.subarray(0, 8), Buffer.from(n.toString(16).padStart(8, '0'), 'hex'), vr.subarray(12)]);
  assert.throws(() => decodePtTlsMessage(withLen(15)), isDecode('invalid', 8));
  assert.throws(() => decodePtTlsMessage(withLen(24)), isDecode('overrun', 16));
  assert.throws(() => decodePtTlsMessage(withLen(19)), isDecode('trailing', 19));
  assert.throws(() => decodePtTlsMessage(withLen(PT_TLS_MAX_MESSAGE_LEN + 1)), isDecode('limit', 8));
  const reserved = Buffer.from(vr);
  reserved.writeUInt32BE(0xffffffff, 4);
  assert.throws(() => decodePtTlsMessage(reserved), isDecode('reserved', 4));
  assert.throws(() => decodePtTlsMessage(vr.subarray(0, 10)), isDecode('truncated'));
});

/** A message with a hand-made value under a correct header. */
const raw = (type: number, value: Buffer) =>
  Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, type, 0, 0, 0, 16 + value.length, 0, 0, 0, 0]), value]);

test('value layouts are checked: Version Request size, mechanism names', () => {
  assert.throws(() => decodePtTlsMessage(raw(1, Buffer.from([0, 1, 1]))), isDecode('truncated', 19));
  assert.throws(() => decodePtTlsMessage(raw(1, Buffer.from([0, 1, 1, 1, 9]))), isDecode('trailing', 20));
  assert.throws(() => decodePtTlsMessage(raw(3, Buffer.from('\x05pla!n', 'latin1'))), isDecode('invalid', 16));
  assert.throws(() => decodePtTlsMessage(raw(3, Buffer.from('\x00', 'latin1'))), isDecode('invalid', 16));
  assert.throws(() => decodePtTlsMessage(raw(4, Buffer.from('\x09PLAIN', 'latin1'))), isDecode('truncated', 17));
  // the 3 reserved bits before the name length are ignored
  assert.deepEqual(decodePtTlsMessage(raw(3, Buffer.from('\xe5PLAIN', 'latin1'))).value, {
    kind: 'saslMechanisms',
    mechanisms: ['PLAIN'],
  });
});

test('a base offset moves error offsets into the stream', () => {
  const b = Buffer.from('000000000000000200000010000000', 'hex');
  assert.throws(() => decodePtTlsMessage(b, { base: 1000 }), isDecode('truncated', 1012));
});

for (const profile of ['', 'profile-B']) {
  const dir = join(__dirname, '..', 'data', 'vectors', profile);
  test(`strongSwan PT-TLS vectors ${profile || 'profile A'}: decode, re-encode identically, batches match`, () => {
    const files = readdirSync(join(dir, 'pt-tls')).filter((f) => f.endsWith('.bin'));
    assert.equal(files.length, 14);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      batches: { file: string; pt_tls: { file: string; message_id: number } }[];
    };
    const batchFor = new Map(index.batches.map((b) => [b.pt_tls.file, b]));
    const ids = { c2s: 0, s2c: 0 };
    for (const f of files.sort()) {
      const bytes = readFileSync(join(dir, 'pt-tls', f));
      const m = decodePtTlsMessage(bytes);
      assert.deepEqual(encodePtTlsMessage(m), bytes, f);
      const dirn = f.includes('-c2s-') ? 'c2s' : 's2c';
      assert.equal(m.id, ids[dirn]++, `${f}: message ids count per sender from 0`);
      assert.equal(
        f
          .replace(/^\d+-(c2s|s2c)-/, '')
          .replace('.bin', '')
          .replace(/_/g, ' '),
        ptTlsTypeName(0, bytes.readUInt32BE(4)),
      );
      const b = batchFor.get(`pt-tls/${f}`);
      if (m.value.kind === 'pbTncBatch') {
        assert.ok(b, `${f} has an index entry`);
        assert.deepEqual(m.value.batch, readFileSync(join(dir, b.file)), f);
      } else assert.equal(b, undefined);
    }
    assert.equal(batchFor.size, 11);
  });
}
