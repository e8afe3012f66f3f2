import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { DecodeError } from '../../src/bytes/errors';
import { attributeSize, decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { PaAttribute } from '../../src/protocol/pa-tnc/registry';
import { TestingAttr } from '../../src/protocol/pa-tnc/ietf';
import {
  ContractRequestAttr,
  describeContract,
  MIN_FIRST_ENVELOPE_SPACE,
  NO_LIMIT,
  Reassembler,
  ReassemblyStep,
  SegmentEnvelope,
  SegmentSender,
  sendPlan,
  splitAttribute,
} from '../../src/protocol/pa-tnc/tcg/seg';

const MAX_SEG = 100;
const contract = { maxMessageSize: NO_LIMIT, maxSegmentSize: MAX_SEG };

/** Sends `attr` through a sender and a reassembler, as the two peers would; returns the result and the envelope count. */
function transfer(attr: PaAttribute, spaceLeft?: number): { attribute: PaAttribute; envelopes: number } {
  const sender = new SegmentSender(contract);
  const receiver = new Reassembler(ALL_CODECS.pa, NO_LIMIT);
  let env: PaAttribute<SegmentEnvelope> | undefined = sender.first(attr, spaceLeft);
  for (let n = 1; env; n++) {
    assert.ok(env.value.data.length <= MAX_SEG, 'segment within the contract');
    const step = receiver.add(wire(env));
    if (step.kind === 'complete') return { attribute: step.attribute, envelopes: n };
    assert.equal(step.kind, 'more');
    env = step.kind === 'more' ? sender.next(step.request.value) : undefined;
  }
  assert.fail('sender ran out of segments');
}

/** Envelopes go over the wire inside PA-TNC messages. */
const wire = (env: PaAttribute<SegmentEnvelope>): SegmentEnvelope =>
  decodePaMessage(encodePaMessage({ messageId: 1, attributes: [env] }), ALL_CODECS.pa).attributes[0]
    .value as SegmentEnvelope;

const testing = (n: number) => TestingAttr.make(Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff)), true);

test('split + reassemble gives back the attribute for sizes around the boundaries', () => {
  for (const n of [MAX_SEG + 5, MAX_SEG + 6, 2 * MAX_SEG - 12, 2 * MAX_SEG - 11, 2 * MAX_SEG, 3 * MAX_SEG + 1, 1000]) {
    const attr = testing(n);
    assert.equal(sendPlan(contract, attributeSize(attr)), 'segmented', `${n} bytes are segmented`);
    const { attribute, envelopes } = transfer(attr);
    assert.deepEqual(attribute.value, attr.value);
    assert.equal(attribute.noskip, true);
    assert.equal(envelopes, Math.ceil((n + 12) / MAX_SEG), `${n} bytes take the fewest envelopes`);
  }
});

test('the first envelope fits the space left in the current message', () => {
  const attr = testing(500);
  const first = new SegmentSender(contract).first(attr, 40);
  assert.equal(first.value.data.length, 40 - 12 - 4);
  assert.deepEqual(first.value, { ...first.value, start: true, more: true, baseMessageId: 1 });
  assert.deepEqual(transfer(attr, 40).attribute.value, attr.value);
  assert.throws(() => new SegmentSender(contract).first(attr, MIN_FIRST_ENVELOPE_SPACE - 1), RangeError);
});

test('send plan: whole up to max segment + 4 value bytes, oversize past the max message size', () => {
  assert.equal(sendPlan(contract, 12 + MAX_SEG + 4), 'whole');
  assert.equal(sendPlan(contract, 12 + MAX_SEG + 5), 'segmented');
  assert.equal(sendPlan({ maxMessageSize: 500, maxSegmentSize: MAX_SEG }, 501), 'oversize');
  assert.equal(sendPlan({ maxMessageSize: NO_LIMIT, maxSegmentSize: NO_LIMIT }, 1 << 30), 'whole');
  assert.equal(sendPlan({ maxMessageSize: NO_LIMIT, maxSegmentSize: 12 }, 100), 'oversize');
});

test('base message IDs count from 1 per contract', () => {
  const sender = new SegmentSender(contract);
  assert.deepEqual(
    [1, 2, 3].map(() => sender.first(testing(300)).value.baseMessageId),
    [1, 2, 3],
  );
  assert.deepEqual(sender.inProgress, [1, 2, 3]);
});

test('an attribute declared larger than the contract allows is refused at the first segment', () => {
  const [first] = splitAttribute(encodePaMessage({ messageId: 0, attributes: [testing(600)] }).subarray(8), 1, MAX_SEG);
  const r = new Reassembler(ALL_CODECS.pa, 500);
  assert.throws(
    () => r.add(first),
    (e: unknown) => e instanceof DecodeError && e.kind === 'limit' && e.offset === 8,
  );
  assert.deepEqual(r.inProgress, []);
});

test('segments beyond the declared length, or too few, are errors', () => {
  const envs = splitAttribute(encodePaMessage({ messageId: 0, attributes: [testing(300)] }).subarray(8), 7, MAX_SEG);
  const r = new Reassembler(ALL_CODECS.pa, NO_LIMIT);
  envs.slice(0, -1).forEach((e) => r.add(e));
  assert.throws(
    () => r.add({ ...envs[envs.length - 1], data: Buffer.alloc(MAX_SEG) }),
    (e: unknown) => e instanceof DecodeError && e.kind === 'overrun',
  );
  const short = new Reassembler(ALL_CODECS.pa, NO_LIMIT);
  short.add(envs[0]);
  assert.throws(
    () => short.add({ ...envs[1], more: false }),
    (e: unknown) => e instanceof DecodeError && e.kind === 'truncated',
  );
});

test('a duplicate start is ignored; a segment of an unknown exchange too', () => {
  const envs = splitAttribute(encodePaMessage({ messageId: 0, attributes: [testing(300)] }).subarray(8), 5, MAX_SEG);
  const r = new Reassembler(ALL_CODECS.pa, NO_LIMIT);
  assert.equal(r.add(envs[0]).kind, 'more');
  assert.equal(r.add(envs[0]).kind, 'ignored');
  let last: ReassemblyStep | undefined;
  for (const e of envs.slice(1)) last = r.add(e);
  assert.equal(last?.kind, 'complete');
  assert.equal(r.add({ ...envs[1], baseMessageId: 9 }).kind, 'ignored');
});

test('cancel: the receiver drops the exchange and tells the sender, who stops', () => {
  const sender = new SegmentSender(contract);
  const r = new Reassembler(ALL_CODECS.pa, NO_LIMIT);
  r.add(wire(sender.first(testing(500))));
  const cancel = r.cancel(1);
  assert.deepEqual(cancel?.value, { cancel: true, baseMessageId: 1 });
  assert.equal(r.cancel(1), undefined);
  const onWire = decodePaMessage(encodePaMessage({ messageId: 2, attributes: [cancel!] }), ALL_CODECS.pa).attributes[0]
    .value;
  assert.deepEqual(onWire, { cancel: true, baseMessageId: 1 });
  assert.equal(sender.next({ cancel: true, baseMessageId: 1 }), undefined);
  assert.deepEqual(sender.inProgress, []);
  assert.equal(sender.next({ cancel: false, baseMessageId: 1 }), undefined);
});

test('an unsupported NOSKIP attribute inside the segments surfaces after reassembly', () => {
  const inner = Buffer.alloc(300);
  inner.writeUInt32BE(0x80000009, 0);
  inner.writeUInt32BE(0x77, 4);
  inner.writeUInt32BE(300, 8);
  const r = new Reassembler(ALL_CODECS.pa, NO_LIMIT);
  const envs = splitAttribute(inner, 3, MAX_SEG);
  envs.slice(0, -1).forEach((e) => r.add(e));
  assert.throws(
    () => r.add(envs[envs.length - 1]),
    (e: unknown) => e instanceof DecodeError && e.kind === 'unsupported' && e.offset === 0,
  );
});

test('contract wording matches strongSwan', () => {
  assert.equal(
    describeContract({ maxMessageSize: NO_LIMIT, maxSegmentSize: 32698 }),
    'no message size limit, maximum segment size of 32698 bytes',
  );
  const a = ContractRequestAttr.make({ maxMessageSize: 65490, maxSegmentSize: NO_LIMIT });
  assert.deepEqual(a.spec?.describe?.(a.value), ['maximum message size of 65490 bytes, no segmentation']);
});
