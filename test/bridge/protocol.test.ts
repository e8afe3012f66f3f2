import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../src/bytes/errors';
import {
  BridgeReply,
  BridgeRequest,
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  FrameSplitter,
  MAX_FRAME,
} from '../../src/bridge/protocol';
import { fuzz } from '../fuzz/harness';

const requests: BridgeRequest[] = [
  { kind: 'hello', version: 1, imcId: 3, name: 'Attestation' },
  {
    kind: 'notify',
    connectionId: 9,
    state: 0,
    maxMessageSize: 65490,
    language: 'de',
    iftProtocol: 'IF-T for Tunneled EAP',
  },
  { kind: 'begin', connectionId: 9 },
  {
    kind: 'receive',
    connectionId: 9,
    flags: 0x80000000,
    type: { vendor: 0x005597, subtype: 1 },
    sourceImvId: 2,
    destinationImcId: 3,
    body: Buffer.from('0100000000000008', 'hex'),
  },
  { kind: 'batchEnding', connectionId: 9 },
  { kind: 'terminate' },
  { kind: 'watch', version: 1, imcId: 2, name: 'SWIMA' },
];
const replies: BridgeReply[] = [
  {
    kind: 'welcome',
    version: 1,
    subscriptions: [
      { vendor: 0, subtype: 9 },
      { vendor: 0x005597, subtype: 1 },
    ],
  },
  {
    kind: 'send',
    connectionId: 9,
    flags: 0,
    type: { vendor: 0, subtype: 1 },
    destinationImvId: 0xffff,
    body: Buffer.from('abcd', 'hex'),
  },
  { kind: 'done', result: 9 },
  { kind: 'retry', connectionId: 9, reason: 2 },
];

/** Splits encoded frames as the daemon does, one byte at a time (the worst case for reassembly). */
function frames(bytes: Buffer): Buffer[] {
  const s = new FrameSplitter();
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...s.push(bytes.subarray(i, i + 1)).map((f) => f.frame));
  return out;
}

test('every request and reply survives encode, byte-wise reassembly and decode', () => {
  const reqFrames = frames(Buffer.concat(requests.map(encodeRequest)));
  assert.deepEqual(
    reqFrames.map((f) => decodeRequest(f)),
    requests,
  );
  const replyFrames = frames(Buffer.concat(replies.map(encodeReply)));
  assert.deepEqual(
    replyFrames.map((f) => decodeReply(f)),
    replies,
  );
});

test('the wire layout is [u32 length][u8 type][payload], length counting the type byte', () => {
  assert.equal(encodeRequest({ kind: 'begin', connectionId: 0x01020304 }).toString('hex'), '000000050301020304');
  assert.equal(encodeReply({ kind: 'done', result: 0 }).toString('hex'), '000000058300000000');
  assert.equal(
    encodeReply({ kind: 'retry', connectionId: 5, reason: 2 }).toString('hex'),
    '00000009840000000500000002',
  );
});

test('bad frames are DecodeErrors that name the field and its absolute offset', () => {
  const bad = (f: () => unknown, what: string, offset: number) =>
    assert.throws(f, (e: unknown) => e instanceof DecodeError && e.what === what && e.offset === offset, what);
  bad(() => new FrameSplitter().push(Buffer.from('00000000', 'hex')), 'bridge frame length', 0);
  const s = new FrameSplitter();
  s.push(encodeRequest({ kind: 'terminate' }));
  const tooBig = Buffer.alloc(4);
  tooBig.writeUInt32BE(MAX_FRAME + 1);
  bad(() => s.push(tooBig), 'bridge frame length', 5);
  bad(() => decodeRequest(Buffer.from('0200000001', 'hex'), 4), 'NOTIFY state', 9);
  bad(() => decodeRequest(Buffer.from('020000000106', 'hex'), 4), 'NOTIFY state', 9);
  bad(() => decodeRequest(Buffer.from('0400000001000000000fffffff', 'hex')), 'RECEIVE vendor ID', 9);
  bad(() => decodeRequest(Buffer.from('0300000001ff', 'hex')), 'bridge request', 5);
  bad(() => decodeRequest(Buffer.from('7f', 'hex'), 12), 'bridge frame type', 12);
  bad(() => decodeReply(Buffer.from('8100010001ffffffff00000000', 'hex')), 'WELCOME vendor ID', 5);
});

test('fuzz: 10,000 mutated frames only ever decode or raise DecodeError', () => {
  const seeds = requests.map((r) => encodeRequest(r).subarray(4));
  const stats = fuzz(
    { name: 'bridge request', decode: (b) => decodeRequest(b), seeds },
    { iterations: 10_000, seed: 0x1f1c },
  );
  assert.equal(stats.crashes, 0, stats.samples.map((c) => `${c.input}\n${c.error}`).join('\n'));
  assert.ok(stats.rejected > 0 && stats.accepted > 0);
});
