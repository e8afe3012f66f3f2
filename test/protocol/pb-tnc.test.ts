import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { DecodeError } from '../../src/bytes/errors';
import {
  DecodeBatchOptions,
  decodeBatch,
  encodeBatch,
  PB_ERROR,
  PbErrorValue,
  pbErrorFor,
  PbRole,
} from '../../src/protocol/pb-tnc';

// Validation rules of RFC 5793 4.1-4.11 (and strongSwan's reading of them, pb_tnc_batch.c and pb_*_msg.c):
// each malformed batch must be refused with the PB-Error the receiver has to send.

/** One message: flags, vendor, type, value; the length field is computed unless given. */
function msg(flags: number, vendor: number, type: number, valueHex: string, length?: number): Buffer {
  const value = Buffer.from(valueHex, 'hex');
  const h = Buffer.alloc(12);
  h[0] = flags;
  h.writeUIntBE(vendor, 1, 3);
  h.writeUInt32BE(type >>> 0, 4);
  h.writeUInt32BE(length ?? 12 + value.length, 8);
  return Buffer.concat([h, value]);
}

/** A batch of type `type` with the D flag of `from`, correct length unless `length` says otherwise. */
function batch(type: number, from: PbRole, msgs: Buffer[] = [], length?: number): Buffer {
  const body = Buffer.concat(msgs);
  const h = Buffer.from([2, from === 'server' ? 0x80 : 0, 0, type, 0, 0, 0, 0]);
  h.writeUInt32BE(length ?? 8 + body.length, 4);
  return Buffer.concat([h, body]);
}

function refused(bytes: Buffer, opts: DecodeBatchOptions, want: Partial<PbErrorValue>): void {
  let err: unknown;
  assert.throws(
    () => decodeBatch(bytes, ALL_CODECS.pb, opts),
    (e: unknown) => (err = e) instanceof DecodeError,
  );
  const answer = pbErrorFor(err);
  assert.equal(answer.noskip, true, 'PB-Error is sent with NOSKIP');
  assert.deepEqual(answer.value, { fatal: true, vendor: 0, ...want });
}

const invalidAt = (offset: number) => ({ code: PB_ERROR.INVALID_PARAMETER, params: { offset } });
const client = { sender: 'client' } as const;
const server = { sender: 'server' } as const;
const PA_BODY = '0000000000000001ffff0001' + '0100000000000001';

test('RFC 5793 4.1: a batch shorter than its header is Invalid Parameter at 0', () => {
  refused(Buffer.from([2, 0, 0, 1]), client, invalidAt(0));
});

test('RFC 5793 4.1: version other than 2 is Version Not Supported with the bad version', () => {
  const b = batch(1, 'client');
  b[0] = 1;
  refused(b, client, { code: PB_ERROR.VERSION_NOT_SUPPORTED, params: { badVersion: 1, maxVersion: 2, minVersion: 2 } });
});

test('RFC 5793 4.1: a D flag that does not match the sender is Invalid Parameter at 1', () => {
  refused(batch(1, 'server'), client, invalidAt(1));
  refused(batch(2, 'client'), server, invalidAt(1));
});

test('RFC 5793 4.1: an unknown batch type is Invalid Parameter at 3', () => {
  refused(batch(7, 'client'), {}, invalidAt(3));
  refused(batch(0, 'client'), {}, invalidAt(3));
});

test('RFC 5793 4.1: a batch type the sender may not send is Unexpected Batch Type', () => {
  refused(batch(2, 'client'), { sender: 'client' }, { code: PB_ERROR.UNEXPECTED_BATCH_TYPE, params: { offset: 3 } });
  refused(batch(4, 'server'), { sender: 'server' }, { code: PB_ERROR.UNEXPECTED_BATCH_TYPE, params: { offset: 3 } });
});

test('RFC 5793 4.1: a batch length unequal to the bytes received is Invalid Parameter at 4', () => {
  refused(batch(1, 'client', [], 9), client, invalidAt(4));
  refused(batch(1, 'client', [msg(0, 0, 0, '')], 8), client, invalidAt(4));
});

test('RFC 5793 4.2: reserved vendor ID and message type are Invalid Parameter at their fields', () => {
  refused(batch(1, 'client', [msg(0, 0xffffff, 1, '')]), client, invalidAt(9));
  refused(batch(1, 'client', [msg(0, 0, 0xffffffff, '')]), client, invalidAt(12));
});

test('RFC 5793 4.2: message length below 12 or past the batch end is Invalid Parameter at the length', () => {
  refused(batch(1, 'client', [msg(0, 0, 0, '', 11)]), client, invalidAt(16));
  refused(batch(1, 'client', [msg(0, 0, 0, '00', 14)]), client, invalidAt(16));
  refused(batch(1, 'client', [Buffer.from('0000000000', 'hex')]), client, invalidAt(12));
});

test('RFC 5793 4.2: unknown type with NOSKIP is Unsupported Mandatory Message at the message; without it is kept raw', () => {
  const lang = msg(0, 0, 6, '');
  refused(batch(1, 'client', [lang, msg(0x80, 0x1234, 7, 'aa')]), client, {
    code: PB_ERROR.UNSUPPORTED_MANDATORY_MESSAGE,
    params: { offset: 20 },
  });
  const skipped = batch(1, 'client', [msg(0, 0x1234, 7, 'aa')]);
  const b = decodeBatch(skipped, ALL_CODECS.pb, client);
  assert.deepEqual(b.messages[0].value, { raw: Buffer.from([0xaa]) });
  assert.deepEqual(encodeBatch(b), skipped);
});

test('strongSwan: PB-Experimental with NOSKIP is Unsupported Mandatory Message', () => {
  refused(batch(1, 'client', [msg(0x80, 0, 0, '')]), client, {
    code: PB_ERROR.UNSUPPORTED_MANDATORY_MESSAGE,
    params: { offset: 8 },
  });
});

test('RFC 5793 4.4-4.7: a wrong NOSKIP flag is Invalid Parameter at the message', () => {
  refused(batch(1, 'client', [msg(0, 0, 1, PA_BODY)]), client, invalidAt(8));
  refused(batch(3, 'server', [msg(0x80, 0, 3, '00000001')]), server, invalidAt(8));
  refused(batch(3, 'server', [msg(0, 0, 2, '00000000')]), server, invalidAt(8));
});

test('RFC 5793 4.3-4.11: a message of the wrong size is Invalid Parameter at the message', () => {
  refused(batch(3, 'server', [msg(0x80, 0, 2, '0000000000')]), server, invalidAt(8));
  refused(batch(1, 'client', [msg(0x80, 0, 1, '00000000000000010001')]), client, invalidAt(8));
  refused(batch(1, 'client', [msg(0x80, 0x902a, 0, '00')]), client, invalidAt(8));
  refused(batch(3, 'server', [msg(0, 0, 7, '00000000')]), server, invalidAt(8));
});

test('RFC 5793 4.6-4.8, 4.11: RESULT-only messages from a client are refused, a client ignores them outside RESULT', () => {
  const rec = msg(0, 0, 3, '00000001');
  refused(batch(1, 'client', [rec]), client, invalidAt(8));
  const b = decodeBatch(batch(2, 'server', [rec]), ALL_CODECS.pb, server);
  assert.equal(b.messages.length, 0);
  assert.equal(b.ignored.length, 1);
  assert.equal(decodeBatch(batch(3, 'server', [rec]), ALL_CODECS.pb, server).messages.length, 1);
});

test('RFC 5793 4.6/4.7: assessment result and access recommendation out of range', () => {
  refused(batch(3, 'server', [msg(0x80, 0, 2, '00000005')]), server, invalidAt(20));
  refused(batch(3, 'server', [msg(0, 0, 3, '00000004')]), server, invalidAt(22));
  refused(batch(3, 'server', [msg(0, 0, 3, '00000000')]), server, invalidAt(22));
});

test('RFC 5793 4.4: reserved PA message vendor and subtype', () => {
  refused(batch(1, 'client', [msg(0x80, 0, 1, '00ffffff00000001ffff0001')]), client, invalidAt(21));
  refused(batch(1, 'client', [msg(0x80, 0, 1, '00000000ffffffffffff0001')]), client, invalidAt(24));
});

test('RFC 5793 4.10: language preference needs the Accept-Language prefix and no NUL', () => {
  refused(batch(1, 'client', [msg(0, 0, 6, Buffer.from('en').toString('hex'))]), client, invalidAt(20));
  refused(
    batch(1, 'client', [msg(0, 0, 6, Buffer.from('Accept-Language: en\0').toString('hex'))]),
    client,
    invalidAt(39),
  );
});

test('RFC 5793 4.11: reason string length past the end, bad UTF-8, trailing bytes', () => {
  refused(batch(3, 'server', [msg(0, 0, 7, '000000ff41' + '00')]), server, {
    code: PB_ERROR.INVALID_PARAMETER,
    params: { offset: 20 },
  });
  refused(batch(3, 'server', [msg(0, 0, 7, '00000001ff00')]), server, invalidAt(24));
  refused(batch(3, 'server', [msg(0, 0, 7, '000000014100' + '99')]), server, invalidAt(26));
});

test('RFC 5793 4.9: a truncated PB-Error is Invalid Parameter', () => {
  refused(batch(6, 'client', [msg(0x80, 0, 5, '8000000000040000' + '0102')]), client, invalidAt(30));
});

test('TCG PB-PDP-Referral: an IPv4 address must be 4 bytes', () => {
  refused(
    batch(2, 'server', [msg(0, 0x5597, 1, '0000559700000001' + '0000010f' + 'c000020101')]),
    server,
    invalidAt(32),
  );
});

test('ITA-HSR PB-Mutual-Capability: trailing bytes are Invalid Parameter', () => {
  refused(batch(1, 'client', [msg(0, 0x902a, 1, '80000000' + '00')]), client, invalidAt(24));
});

test('a failure that is not a decode error is answered with a fatal Local Error', () => {
  assert.deepEqual(pbErrorFor(new RangeError('boom')).value, {
    fatal: true,
    vendor: 0,
    code: PB_ERROR.LOCAL_ERROR,
    params: { offset: 0 },
  });
});
