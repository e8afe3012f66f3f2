import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { DecodeError } from '../../src/bytes/errors';
import {
  checkAnswer,
  checkRequest,
  decodeRadius,
  decodeVendorAttribute,
  decryptMppeKey,
  encodeRadius,
  encryptMppeKey,
  joinEapMessage,
  mppeKeyAttributes,
  RadiusAttr,
  RadiusCode,
  responseAuthenticator,
  signAnswer,
  signRequest,
  splitEapMessage,
} from '../../src/protocol/radius';
import {
  decodeEap,
  decodeTlsMethodData,
  EapCode,
  EapType,
  encodeEap,
  encodeTlsMethodData,
  FragmentAssembler,
  fragmentTlsMessage,
  takeAvps,
  eapMessageAvp,
} from '../../src/protocol/eap';

const secret = Buffer.from('xyzzy5461');

test("RFC 2865 7.1: the example Access-Accept's Response Authenticator", () => {
  const request = Buffer.from(
    '010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a801100506000000' +
      '03',
    'hex',
  );
  const accept = Buffer.from('0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103', 'hex');
  const req = decodeRadius(request);
  assert.equal(req.code, RadiusCode.ACCESS_REQUEST);
  assert.equal(req.attributes[0].value.toString(), 'nemo');
  assert.deepEqual(responseAuthenticator(accept, req.authenticator, secret), accept.subarray(4, 20));
  assert.deepEqual(encodeRadius(decodeRadius(accept)), accept);
});

test('RFC 3579 3.2: the Message-Authenticator is HMAC-MD5 over the packet with itself zeroed', () => {
  const req = signRequest(9, [{ type: RadiusAttr.USER_NAME, value: Buffer.from('a') }], secret, Buffer.alloc(16, 7));
  const zeroed = Buffer.from(req);
  zeroed.fill(0, req.length - 16);
  assert.deepEqual(req.subarray(req.length - 16), createHmac('md5', secret).update(zeroed).digest());
  assert.ok(checkRequest(req, secret).ok);
  const wrong = checkRequest(req, Buffer.from('other'));
  assert.deepEqual(wrong, { ok: false, malformed: false, why: 'bad Message-Authenticator' });
  const flipped = Buffer.from(req);
  flipped[22] ^= 1;
  assert.equal(checkRequest(flipped, secret).ok, false, 'a changed attribute breaks it');
});

test('answers: Message-Authenticator over the Request Authenticator, then the Response Authenticator; both checked', () => {
  const req = decodeRadius(signRequest(3, [], secret, Buffer.alloc(16, 1)));
  const answer = signAnswer(
    RadiusCode.ACCESS_CHALLENGE,
    req,
    [{ type: RadiusAttr.STATE, value: Buffer.from('s') }],
    secret,
  );
  const p = checkAnswer(answer, req.authenticator, secret);
  assert.equal(p.identifier, 3);
  assert.throws(
    () => checkAnswer(answer, Buffer.alloc(16, 2), secret),
    (e: DecodeError) => e.what === 'RADIUS Response Authenticator',
  );
});

test('RFC 2548 2.4.2: MS-MPPE keys round-trip; each key is salted and hidden, the MSK split Recv | Send', () => {
  const msk = Buffer.from([...Array(64).keys()]);
  const auth = Buffer.alloc(16, 5);
  const [recv, send] = mppeKeyAttributes(msk, secret, auth).map((a) => decodeVendorAttribute(a.value)[0]);
  assert.deepEqual([recv.vendor, recv.type, send.type], [311, 17, 16]);
  assert.ok(
    recv.value[0] & 0x80 && !recv.value.subarray(0, 2).equals(send.value.subarray(0, 2)),
    'salts have the high bit and differ',
  );
  assert.equal(recv.value.length, 2 + 48, 'length byte + 32 key bytes padded to 48');
  assert.deepEqual(decryptMppeKey(recv.value, secret, auth), msk.subarray(0, 32));
  assert.deepEqual(decryptMppeKey(send.value, secret, auth), msk.subarray(32));
  assert.ok(!recv.value.includes(msk.subarray(0, 8)), 'the key does not appear in clear');
  assert.throws(() => encryptMppeKey(msk, secret, auth, Buffer.from([0, 1])), RangeError);
});

test('decoding refuses lengths outside 20..4096, past the datagram, or an attribute shorter than 2', () => {
  const ok = signRequest(1, [], secret);
  const long = Buffer.from(ok);
  long.writeUInt16BE(5000, 2);
  assert.throws(
    () => decodeRadius(long),
    (e: DecodeError) => e.kind === 'invalid' && e.what === 'RADIUS length',
  );
  const past = Buffer.from(ok);
  past.writeUInt16BE(ok.length + 1, 2);
  assert.throws(
    () => decodeRadius(past),
    (e: DecodeError) => e.kind === 'overrun',
  );
  const bad = Buffer.concat([ok.subarray(0, 20), Buffer.from([1, 1])]);
  bad.writeUInt16BE(22, 2);
  assert.throws(
    () => decodeRadius(bad),
    (e: DecodeError) => e.what === 'RADIUS attribute length',
  );
  assert.deepEqual(
    decodeRadius(Buffer.concat([ok, Buffer.alloc(5)])).attributes.length,
    1,
    'bytes past Length are padding',
  );
});

test('RFC 3579 3.1: EAP split into 253-byte EAP-Message attributes and joined again', () => {
  const eap = encodeEap({ code: EapCode.REQUEST, identifier: 4, type: EapType.TTLS, data: Buffer.alloc(600, 9) });
  const parts = splitEapMessage(eap);
  assert.deepEqual(
    parts.map((p) => p.value.length),
    [253, 253, 99],
  );
  const req = decodeRadius(signRequest(1, parts, secret));
  assert.deepEqual(joinEapMessage(req), eap);
  assert.equal(decodeEap(eap).data.length, 600);
});

test('EAP-TTLS: L on the first of several fragments, M on all but the last; reassembly checks the declared length', () => {
  const msg = Buffer.alloc(2500, 3);
  const frags = fragmentTlsMessage(msg, 1000);
  assert.deepEqual(
    frags.map((f) => [f.messageLength, f.more, f.data.length]),
    [
      [2500, true, 1000],
      [undefined, true, 1000],
      [undefined, false, 500],
    ],
  );
  const a = new FragmentAssembler(4096);
  let whole: Buffer | undefined;
  for (const f of frags) whole = a.push(decodeTlsMethodData(encodeTlsMethodData(f, 'ttls'), 'ttls'));
  assert.deepEqual(whole, msg);
  assert.equal(
    encodeTlsMethodData({ start: true, more: false, version: 0, data: Buffer.alloc(0) }, 'ttls')[0],
    0x20,
    'TTLS Start',
  );
  assert.equal(
    encodeTlsMethodData({ start: true, more: false, version: 1, data: Buffer.alloc(0) }, 'pt-eap')[0],
    0x81,
    'PT-EAP Start, version 1',
  );
  const short = new FragmentAssembler(4096);
  short.push({ start: false, more: true, version: 0, messageLength: 100, data: Buffer.alloc(10) });
  assert.throws(
    () => short.push({ start: false, more: false, version: 0, data: Buffer.alloc(10) }),
    /declared 100, received 20/,
  );
});

test('RFC 5281 10.1: AVPs padded to 4 bytes, taken whole from a stream, a partial one left for later, a huge one refused', () => {
  const eap = encodeEap({ code: EapCode.RESPONSE, identifier: 0, type: EapType.IDENTITY, data: Buffer.from('abc') });
  const avp = eapMessageAvp(eap);
  assert.equal(avp.length, 16, '8 + 8 bytes, padded');
  const stream = Buffer.concat([avp, avp.subarray(0, 5)]);
  const { avps, used } = takeAvps(stream, 100);
  assert.equal(avps.length, 1);
  assert.equal(used, 16);
  assert.ok(avps[0].mandatory && avps[0].code === 79);
  const huge = Buffer.from(avp);
  huge.writeUIntBE(0xffffff, 5, 3);
  assert.throws(
    () => takeAvps(huge, 100),
    (e: DecodeError) => e.kind === 'limit',
  );
});
