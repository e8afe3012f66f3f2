import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../src/bytes/errors';
import {
  SourceMetadataRequestAttr,
  SourceMetadataResponseAttr,
  SubscriptionStatusRequestAttr,
  SubscriptionStatusResponseAttr,
  SwimaRequest,
} from '../../src/protocol/pa-tnc/swima';
import { decodeValue, roundTrip } from './pts-swima-util';

// RFC 8412 5.11-5.14. decodeValue puts the value at absolute offset 20 of a PA-TNC message.
const VALUE_AT = 20;
const isDecodeError = (kind: string, offset: number) => (e: unknown) =>
  e instanceof DecodeError && e.kind === kind && e.offset === offset;

const untargeted: SwimaRequest = {
  clearSubscriptions: false,
  subscribe: true,
  idsOnly: true,
  requestId: 659,
  earliestEid: 323,
  softwareIds: [],
};
const targeted: SwimaRequest = {
  clearSubscriptions: false,
  subscribe: true,
  idsOnly: false,
  requestId: 7,
  earliestEid: 0,
  softwareIds: ['a__b', 'strongswan.org__Debian_12-x86_64-bash-5.2.15-2~b8'],
};

test('the two requests have no fields: an empty value, and trailing bytes are rejected', () => {
  for (const t of [SubscriptionStatusRequestAttr, SourceMetadataRequestAttr]) {
    const r = roundTrip(t, null);
    assert.equal(r.bytes.length, 8 + 12);
    assert.equal(r.value, null);
    assert.throws(() => decodeValue(t, Buffer.from([0])), isDecodeError('trailing', VALUE_AT));
  }
});

test('Subscription Status Response: each record is an exact copy of the establishing request', () => {
  const v = { subscriptions: [untargeted, targeted] };
  const r = roundTrip(SubscriptionStatusResponseAttr, v);
  assert.deepEqual(r.value, v);
  assert.deepEqual(r.reencoded, r.bytes);
  const value = r.bytes.subarray(VALUE_AT);
  // [0] flags, [1..3] count = 2, then record 1: flags S|R = 0x60, count 0, request 659, earliest eid 323
  assert.deepEqual([...value.subarray(0, 16)], [0, 0, 0, 2, 0x60, 0, 0, 0, 0, 0, 0x02, 0x93, 0, 0, 0x01, 0x43]);
  // record 2 is targeted: its identifier count is 2 and the identifiers follow it
  assert.deepEqual([...value.subarray(16, 20)], [0x40, 0, 0, 2]);
  assert.deepEqual(
    roundTrip(SubscriptionStatusResponseAttr, { subscriptions: [] }).bytes.subarray(VALUE_AT),
    Buffer.from([0, 0, 0, 0]),
  );
});

test('Subscription Status Response: counts that disagree with the records are rejected at the count', () => {
  const good = roundTrip(SubscriptionStatusResponseAttr, { subscriptions: [targeted] }).bytes.subarray(VALUE_AT);
  const moreRecords = Buffer.from(good);
  moreRecords.writeUIntBE(0xffffff, 1, 3);
  assert.throws(() => decodeValue(SubscriptionStatusResponseAttr, moreRecords), isDecodeError('invalid', VALUE_AT + 1));
  // an identifier count larger than the identifiers present runs out of bytes: never sizes anything
  const moreIds = Buffer.from(good);
  moreIds.writeUIntBE(0xffffff, 5, 3);
  assert.throws(
    () => decodeValue(SubscriptionStatusResponseAttr, moreIds),
    (e: unknown) => e instanceof DecodeError && e.kind !== 'trailing',
  );
  // a truncated record
  assert.throws(
    () => decodeValue(SubscriptionStatusResponseAttr, good.subarray(0, 10)),
    (e: unknown) => e instanceof DecodeError && e.offset >= VALUE_AT + 4,
  );
});

test('Source Metadata Response round-trips with its 2-byte reserved field and 1-byte count', () => {
  const v = [
    { sourceId: 1, metadata: 'dpkg status database /var/lib/dpkg/status' },
    { sourceId: 2, metadata: '' },
  ];
  const r = roundTrip(SourceMetadataResponseAttr, v);
  assert.deepEqual(r.value, v);
  assert.deepEqual(r.reencoded, r.bytes);
  const value = r.bytes.subarray(VALUE_AT);
  assert.deepEqual([...value.subarray(0, 6)], [0, 0, 2, 1, 0, v[0].metadata.length]);
  assert.throws(
    () =>
      roundTrip(
        SourceMetadataResponseAttr,
        Array.from({ length: 256 }, () => ({ sourceId: 1, metadata: '' })),
      ),
    RangeError,
  );
});

test('Source Metadata Response: bad counts and lengths are rejected with the offset', () => {
  const value = roundTrip(SourceMetadataResponseAttr, [{ sourceId: 1, metadata: 'dpkg' }]).bytes.subarray(VALUE_AT);
  const count = Buffer.from(value);
  count[2] = 2;
  assert.throws(() => decodeValue(SourceMetadataResponseAttr, count), isDecodeError('invalid', VALUE_AT + 2));
  const length = Buffer.from(value);
  length.writeUInt16BE(0xffff, 4);
  assert.throws(() => decodeValue(SourceMetadataResponseAttr, length), isDecodeError('overrun', VALUE_AT + 4));
  assert.throws(
    () => decodeValue(SourceMetadataResponseAttr, value.subarray(0, 2)),
    (e: unknown) => e instanceof DecodeError && e.offset === VALUE_AT + 2,
  );
});
