import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from '../../src/bytes/cursor';
import { decodeEap, decodeTlsMethodData, EapCode, EapType, FragmentAssembler } from '../../src/protocol/eap';
import {
  checkAnswer,
  checkRequest,
  decodeVendorAttribute,
  decryptMppeKey,
  joinEapMessage,
  MS_MPPE_RECV_KEY,
  MS_MPPE_SEND_KEY,
  RadiusAttr,
  RadiusCode,
  VENDOR_MICROSOFT,
  type RadiusPacket,
} from '../../src/protocol/radius';
import { MAX_TLS_MESSAGE } from '../../src/transport/radius/ttls-session';

// Interop vector: the RADIUS exchange of one passing run of test/packaging/strongswan-vpn.test.ts
// (Debian's charon with eap-radius as the RADIUS client, its EAP-TTLS peer inside, our PDP
// answering). Our decoders read strongSwan's side of every layer we can see without the TLS keys:
// RADIUS and its authenticators, EAP, EAP-TTLS flags, lengths and fragments, TLS record framing.
const DIR = join(__dirname, '..', 'data', 'vectors', 'radius');
const bin = readFileSync(join(DIR, 'strongswan-eap-radius-exchange.bin'));
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as {
  secret: string;
  sha256: string;
  datagrams: number;
};
const secret = Buffer.from(index.secret);

function datagrams(): Buffer[] {
  const r = Reader.of(bin);
  const out: Buffer[] = [];
  while (!r.atEnd) out.push(Buffer.from(r.lengthPrefixed(2, 'datagram')));
  return out;
}

/** TLS records (RFC 5246 6.2.1) back to back: content type 20..23, version 3.x, length within 2^14 + 2048. */
function tlsRecordTypes(msg: Buffer): number[] {
  const r = Reader.of(msg);
  const types: number[] = [];
  while (!r.atEnd) {
    const type = r.u8('record type');
    assert.ok(type >= 20 && type <= 23, `record type ${type}`);
    assert.equal(r.u8('major version'), 3);
    r.u8('minor version');
    r.lengthPrefixed(2, 'fragment');
    types.push(type);
  }
  return types;
}

test('the vector is the one indexed', () => {
  assert.equal(createHash('sha256').update(bin).digest('hex'), index.sha256);
  assert.equal(datagrams().length, index.datagrams);
});

test("strongSwan's Access-Requests verify and carry its EAP-TTLS fragments; our answers verify against them", () => {
  const pending = new Map<number, Buffer>();
  const assembler = new FragmentAssembler(MAX_TLS_MESSAGE);
  let requests = 0;
  let tlsMessages = 0;
  let accept: { packet: RadiusPacket; authenticator: Buffer } | undefined;
  const seen = new Set<number>();
  for (const d of datagrams()) {
    if (d[0] === RadiusCode.ACCESS_REQUEST) {
      const c = checkRequest(d, secret);
      assert.ok(c.ok, 'Message-Authenticator verifies');
      pending.set(c.packet.identifier, c.packet.authenticator);
      assert.ok(c.packet.attributes.some((a) => a.type === RadiusAttr.USER_NAME));
      const eap = decodeEap(joinEapMessage(c.packet));
      assert.equal(eap.code, EapCode.RESPONSE);
      requests++;
      if (requests === 1) assert.equal(eap.type, EapType.IDENTITY, 'eap-radius starts with the EAP identity');
      if (eap.type !== EapType.TTLS) continue;
      const f = decodeTlsMethodData(eap.data, 'ttls');
      assert.equal(f.version, 0);
      if (seen.has(eap.identifier)) continue; // a retransmission
      seen.add(eap.identifier);
      if (f.data.length === 0 && !f.more) continue; // an acknowledgement
      const whole = assembler.push(f);
      if (whole) {
        tlsMessages++;
        const types = tlsRecordTypes(whole);
        if (tlsMessages === 1) assert.deepEqual(types, [22], 'the ClientHello');
      }
    } else {
      const auth = pending.get(d[1]);
      assert.ok(auth, `an answer to request ${d[1]}`);
      const packet = checkAnswer(d, auth, secret);
      if (packet.code === RadiusCode.ACCESS_ACCEPT) accept = { packet, authenticator: auth };
    }
  }
  assert.ok(tlsMessages >= 4, `${tlsMessages} TLS messages from strongSwan's peer`);
  assert.ok(accept, 'the run ends with Access-Accept');
  const keys = accept.packet.attributes
    .filter((a) => a.type === RadiusAttr.VENDOR_SPECIFIC)
    .flatMap((a) => decodeVendorAttribute(a.value))
    .filter((v) => v.vendor === VENDOR_MICROSOFT);
  assert.deepEqual(keys.map((k) => k.type).sort(), [MS_MPPE_SEND_KEY, MS_MPPE_RECV_KEY].sort());
  for (const k of keys) assert.equal(decryptMppeKey(k.value, secret, accept.authenticator).length, 32);
  assert.equal(decodeEap(joinEapMessage(accept.packet)).code, EapCode.SUCCESS);
});
