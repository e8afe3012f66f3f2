import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../src/bytes/errors';
import { decodePtTlsMessage, encodePtTlsMessage, PtTlsFramer, type FramedMessage } from '../../src/protocol/pt-tls';

const messages = [
  encodePtTlsMessage({ id: 0, value: { kind: 'versionRequest', minVersion: 1, maxVersion: 1, preferredVersion: 1 } }),
  encodePtTlsMessage({ id: 1, value: { kind: 'saslMechanisms', mechanisms: [] } }),
  encodePtTlsMessage({ id: 2, value: { kind: 'pbTncBatch', batch: Buffer.alloc(300, 0xab) } }),
];
const stream = Buffer.concat(messages);

test('framer: the stream split at every byte boundary (and into single bytes) gives the same messages', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const f = new PtTlsFramer();
    const out = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
    assert.deepEqual(
      out.map((m) => m.bytes),
      messages,
      `cut at ${cut}`,
    );
    assert.deepEqual(
      out.map((m) => m.offset),
      [0, 20, 36],
    );
    assert.equal(f.pending, 0);
  }
  const f = new PtTlsFramer();
  const out: FramedMessage[] = [];
  for (const byte of stream) out.push(...f.push(Buffer.of(byte)));
  assert.deepEqual(
    out.map((m) => decodePtTlsMessage(m.bytes).id),
    [0, 1, 2],
  );
});

test('framer rejects an oversize length as soon as the header is there, before any body', () => {
  const f = new PtTlsFramer(1000);
  const header = Buffer.from(messages[2].subarray(0, 16));
  header.writeUInt32BE(1001, 8);
  assert.deepEqual(f.push(messages[0]), [{ bytes: messages[0], offset: 0 }]);
  assert.deepEqual(f.push(header.subarray(0, 15)), []);
  assert.throws(
    () => f.push(header.subarray(15)),
    (e: unknown) => e instanceof DecodeError && e.kind === 'limit' && e.offset === 20 + 8,
  );
  assert.equal(f.pending, 16, 'only the header was held');
  assert.throws(
    () => f.push(Buffer.alloc(10)),
    (e: unknown) => e instanceof DecodeError && e.kind === 'limit',
    'stays failed',
  );
  assert.deepEqual(f.peek(4), header.subarray(0, 4));
});

test('framer rejects a length below the header size and the reserved type', () => {
  const short = Buffer.from(messages[1]);
  short.writeUInt32BE(12, 8);
  assert.throws(
    () => new PtTlsFramer().push(short),
    (e: unknown) => e instanceof DecodeError && e.kind === 'invalid' && e.offset === 8,
  );
  const reserved = Buffer.from(messages[1]);
  reserved.writeUInt32BE(0xffffffff, 4);
  assert.throws(
    () => new PtTlsFramer().push(reserved),
    (e: unknown) => e instanceof DecodeError && e.kind === 'reserved' && e.offset === 4,
  );
});

test('framer holds only the bytes that arrived for a large declared message', () => {
  const f = new PtTlsFramer();
  const big = encodePtTlsMessage({ id: 0, value: { kind: 'pbTncBatch', batch: Buffer.alloc(100_000, 1) } });
  assert.deepEqual(f.push(big.subarray(0, 5000)), []);
  assert.equal(f.pending, 5000);
  const out = f.push(big.subarray(5000));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0].bytes, big);
});
