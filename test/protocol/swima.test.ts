import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../../src/bytes/cursor';
import { DecodeError } from '../../src/bytes/errors';
import {
  decodeSwimaErrorInfo,
  encodeSwimaErrorInfo,
  SW_ACTION,
  SwEvents,
  SwEventsAttr,
  SwIdEventsAttr,
  SwIdInventoryAttr,
  SwimaErrorInfo,
  SwimaRequestAttr,
  SwInventoryAttr,
  SwRecord,
} from '../../src/protocol/pa-tnc/swima';
import { decodeValue, roundTrip } from './pts-swima-util';

const isDecodeError = (kind: string, offset?: number) => (e: unknown) =>
  e instanceof DecodeError && e.kind === kind && (offset === undefined || e.offset === offset);

const rec = (id: number, sw: string, record?: string): SwRecord => ({
  recordId: id,
  dataModelPen: 0,
  dataModelType: 0,
  sourceId: 1,
  softwareId: sw,
  softwareLocator: '',
  ...(record !== undefined ? { record: Buffer.from(record) } : {}),
});
const header = { subscriptionFulfillment: false, requestId: 3, eidEpoch: 0x11223344, lastEid: 1 };

test('SWIMA Request round-trips, targeted and untargeted', () => {
  for (const softwareIds of [[], ['strongswan.org__Debian_12-x86_64-bash-5.2', 'x__y']]) {
    const v = {
      clearSubscriptions: true,
      subscribe: false,
      idsOnly: true,
      requestId: 659,
      earliestEid: 323,
      softwareIds,
    };
    const r = roundTrip(SwimaRequestAttr, v);
    assert.deepEqual(r.value, v);
    assert.deepEqual(r.reencoded, r.bytes);
  }
});

test('inventories round-trip, IDs only and full records', () => {
  const ids = {
    ...header,
    records: [rec(0, 'debian.org__a'), { ...rec(1, 'debian.org__b'), softwareLocator: 'file:///usr/share' }],
  };
  assert.deepEqual(roundTrip(SwIdInventoryAttr, ids).value, ids);
  const full = { ...header, subscriptionFulfillment: true, records: [rec(0, 'debian.org__a', '<SoftwareIdentity/>')] };
  assert.deepEqual(roundTrip(SwInventoryAttr, full).value, full);
  assert.deepEqual(
    SwIdInventoryAttr.spec.describe?.(ids)[0],
    'software ID inventory with 2 items for request 3 at last eid 1 of epoch 0x11223344',
  );
});

const events: SwEvents = {
  ...header,
  lastEid: 323,
  lastConsultedEid: 323,
  events: [
    { eid: 322, timestamp: '2024-01-02T03:04:05Z', action: SW_ACTION.CREATION, record: rec(5, 'debian.org__c') },
    { eid: 323, timestamp: '2024-01-02T03:04:06Z', action: SW_ACTION.DELETION, record: rec(6, 'debian.org__d') },
  ],
};

test('events round-trip, IDs only and full records', () => {
  assert.deepEqual(roundTrip(SwIdEventsAttr, events).value, events);
  const full = {
    ...events,
    events: events.events.map((e) => ({ ...e, record: { ...e.record, record: Buffer.from('<x/>') } })),
  };
  const r = roundTrip(SwEventsAttr, full);
  assert.deepEqual(r.value, full);
  assert.deepEqual(r.reencoded, r.bytes);
});

test('a record count larger than the records present is rejected, never used to allocate', () => {
  const inv = Buffer.from(roundTrip(SwIdInventoryAttr, { ...header, records: [rec(0, 'a')] }).bytes.subarray(20));
  inv.writeUIntBE(0xffffff, 1, 3);
  assert.throws(() => decodeValue(SwIdInventoryAttr, inv), isDecodeError('invalid', 21));
  const req = Buffer.from([0x20, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]);
  assert.throws(() => decodeValue(SwimaRequestAttr, req), isDecodeError('invalid', 21));
});

test('an event with an undefined action and a truncated record are rejected', () => {
  const ev = Buffer.from(roundTrip(SwIdEventsAttr, events).bytes.subarray(20));
  const actionAt = 20 + 4 + 20 + 9;
  ev[actionAt] = 4;
  assert.throws(() => decodeValue(SwIdEventsAttr, ev), isDecodeError('invalid', 20 + actionAt));
  const full = roundTrip(SwInventoryAttr, { ...header, records: [rec(0, 'a', '<x/>')] }).bytes.subarray(20);
  assert.throws(() => decodeValue(SwInventoryAttr, full.subarray(0, full.length - 1)), isDecodeError('overrun'));
});

test('SWIMA error information codecs', () => {
  const infos: [number, SwimaErrorInfo][] = [
    [4, { requestId: 3, description: 'failed to collect SW ID events, fallback to SW ID inventory' }],
    [6, { requestId: 3, maxAllowedSize: 65536, description: 'too large' }],
    [7, { raw: Buffer.from([1, 2, 3]) }],
  ];
  for (const [code, info] of infos) {
    const w = new Writer();
    encodeSwimaErrorInfo(w, info);
    assert.deepEqual(decodeSwimaErrorInfo(code, Reader.of(w.finish())), info);
  }
});
