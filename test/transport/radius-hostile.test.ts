import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { Logger, MemorySink } from '../../src/log';
import { startRadiusServer, type RadiusServer } from '../../src/transport/radius';
import { decodeEap, EapCode, EapType, encodeEap, encodeTlsMethodData } from '../../src/protocol/eap';
import {
  checkAnswer,
  joinEapMessage,
  RadiusAttr,
  RadiusCode,
  signRequest,
  splitEapMessage,
  type RadiusAttribute,
  type RadiusPacket,
} from '../../src/protocol/radius';
import { labPki } from '../helpers/pki';

// Hostile RADIUS input against the PDP: each gets a drop (counted) or an Access-Reject with an
// EAP-Failure, and the server keeps serving.
const secret = Buffer.from('hostile test secret');
const log = new MemorySink();
let server: RadiusServer;
let udp: Socket;
const answers: Buffer[] = [];
let waiting: ((b: Buffer) => void) | undefined;
let nextId = 0;

before(async () => {
  const pki = await labPki();
  server = await startRadiusServer(
    {
      host: '127.0.0.1',
      port: 0,
      secret,
      cert: pki.pem.serverCert,
      key: pki.pem.serverKey,
      ca: pki.pem.ca,
      log: new Logger(2, 'text', log),
    },
    async () => undefined,
  );
  udp = createSocket('udp4');
  udp.on('message', (m: Buffer) => (waiting ? (waiting(m), (waiting = undefined)) : answers.push(m)));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
});
after(async () => {
  udp.close();
  await server.close();
});

const nextAnswer = (): Promise<Buffer> => {
  const a = answers.shift();
  return a ? Promise.resolve(a) : new Promise((r) => (waiting = r));
};
const send = (b: Buffer) => udp.send(b, server.port, '127.0.0.1');

async function exchange(eap: Buffer | RadiusAttribute[], state?: Buffer, key = secret): Promise<RadiusPacket> {
  const attrs = Array.isArray(eap) ? eap : splitEapMessage(eap);
  const req = signRequest(
    nextId++ & 0xff,
    [...attrs, ...(state ? [{ type: RadiusAttr.STATE, value: state }] : [])],
    key,
  );
  send(req);
  return checkAnswer(await nextAnswer(), req.subarray(4, 20), secret);
}
const identity = encodeEap({
  code: EapCode.RESPONSE,
  identifier: 1,
  type: EapType.IDENTITY,
  data: Buffer.from('mallory'),
});
const stateOf = (p: RadiusPacket) => p.attributes.find((a) => a.type === RadiusAttr.STATE)!.value;
const eapOf = (p: RadiusPacket) => decodeEap(joinEapMessage(p));

function assertRejected(p: RadiusPacket, reason: RegExp): void {
  assert.equal(p.code, RadiusCode.ACCESS_REJECT);
  assert.equal(eapOf(p).code, EapCode.FAILURE);
  assert.match(p.attributes.find((a) => a.type === RadiusAttr.REPLY_MESSAGE)!.value.toString(), reason);
}

test('a request with a bad Message-Authenticator (wrong secret) is dropped and counted, never answered', async () => {
  const before = server.stats.badAuthenticator;
  send(signRequest(200, splitEapMessage(identity), Buffer.from('not the secret')));
  send(Buffer.from('not radius at all'));
  // the next answer is the one to a good request: the bad ones got none
  const good = await exchange(identity);
  assert.equal(good.code, RadiusCode.ACCESS_CHALLENGE);
  assert.equal(server.stats.badAuthenticator, before + 1);
  assert.ok(server.stats.malformed >= 1);
  assert.ok(log.lines.some((l) => /RADIUS packet from 127\.0\.0\.1:\d+ dropped: bad Message-Authenticator/.test(l)));
});

test('a request without any Message-Authenticator is dropped too', async () => {
  const before = server.stats.badAuthenticator;
  const raw = signRequest(201, splitEapMessage(identity), secret);
  const cut = Buffer.from(raw.subarray(0, raw.length - 18));
  cut.writeUInt16BE(cut.length, 2);
  send(cut);
  assert.equal((await exchange(identity)).code, RadiusCode.ACCESS_CHALLENGE);
  assert.equal(server.stats.badAuthenticator, before + 1);
});

test('a retransmitted request gets the same answer again and is not processed twice', async () => {
  const req = signRequest(77, splitEapMessage(identity), secret);
  const challenges = server.stats.challenges;
  send(req);
  const first = await nextAnswer();
  send(req);
  const again = await nextAnswer();
  assert.ok(again.equals(first));
  assert.equal(server.stats.challenges, challenges + 1);
  assert.ok(server.stats.duplicates >= 1);
});

test('an unknown State is rejected with an EAP-Failure', async () => {
  assertRejected(await exchange(identity, Buffer.alloc(16, 0xaa)), /unknown State/);
});

test('an EAP-Message whose EAP length disagrees with its bytes (oversize claim) is rejected', async () => {
  const eap = Buffer.from(identity);
  eap.writeUInt16BE(60000, 2);
  assertRejected(await exchange(eap), /malformed EAP-Message: EAP length/);
  const two = [...splitEapMessage(identity), ...splitEapMessage(identity)]; // two EAP packets glued
  assertRejected(await exchange(two), /malformed EAP-Message/);
});

test('a TLS message declared larger than the limit is refused at its first fragment', async () => {
  const start = await exchange(identity);
  const id = eapOf(start).identifier;
  const frag = encodeEap({
    code: EapCode.RESPONSE,
    identifier: id,
    type: EapType.TTLS,
    data: encodeTlsMethodData(
      { start: false, more: true, version: 0, messageLength: 0x7fffffff, data: Buffer.alloc(100) },
      'ttls',
    ),
  });
  assertRejected(await exchange(frag, stateOf(start)), /TLS Message Length: 2147483647 exceeds 73728/);
});

test('endless EAP-TTLS fragments end in an EAP-Failure once the TLS message limit is passed', async () => {
  let p = await exchange(identity);
  let n = 0;
  while (p.code === RadiusCode.ACCESS_CHALLENGE) {
    const id = eapOf(p).identifier;
    const frag = encodeEap({
      code: EapCode.RESPONSE,
      identifier: id,
      type: EapType.TTLS,
      data: encodeTlsMethodData({ start: false, more: true, version: 0, data: Buffer.alloc(1000, 0x16) }, 'ttls'),
    });
    p = await exchange(frag, stateOf(p));
    n++;
    assert.ok(n < 100, 'the server keeps acknowledging fragments');
  }
  assertRejected(p, /more than 73728 bytes of TLS data in one message/);
  assert.equal(n, 74);
});

test('garbage in place of a TLS ClientHello ends the session with an EAP-Failure naming TLS', async () => {
  const start = await exchange(identity);
  const frag = encodeEap({
    code: EapCode.RESPONSE,
    identifier: eapOf(start).identifier,
    type: EapType.TTLS,
    data: encodeTlsMethodData(
      { start: false, more: false, version: 0, data: Buffer.from('GET / HTTP/1.1\r\n\r\n') },
      'ttls',
    ),
  });
  assertRejected(await exchange(frag, stateOf(start)), /^TLS: /);
});

test('a response with a stale EAP identifier is dropped, and the session still answers the right one', async () => {
  const start = await exchange(identity);
  const id = eapOf(start).identifier;
  const stale = encodeEap({
    code: EapCode.RESPONSE,
    identifier: (id + 5) & 0xff,
    type: EapType.TTLS,
    data: Buffer.from([0]),
  });
  const req = signRequest(
    nextId++ & 0xff,
    [...splitEapMessage(stale), { type: RadiusAttr.STATE, value: stateOf(start) }],
    secret,
  );
  send(req);
  const nak = encodeEap({ code: EapCode.RESPONSE, identifier: id, type: EapType.NAK, data: Buffer.from([4]) });
  assertRejected(await exchange(nak, stateOf(start)), /peer does not support EAP_TTLS/);
  assert.ok(log.lines.some((l) => /RADIUS request dropped: EAP identifier \d+, expected \d+/.test(l)));
});
