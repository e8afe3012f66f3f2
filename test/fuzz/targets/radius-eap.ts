import {
  decodeEap,
  decodeTlsMethodData,
  EapCode,
  EapType,
  eapMessageAvp,
  encodeEap,
  encodeTlsMethodData,
  FragmentAssembler,
  takeAvps,
} from '../../../src/protocol/eap';
import {
  checkRequest,
  decodeRadius,
  decodeVendorAttribute,
  decryptMppeKey,
  encodeVendorAttribute,
  RadiusAttr,
  signRequest,
  splitEapMessage,
} from '../../../src/protocol/radius';
import { DecodeError } from '../../../src/bytes/errors';
import type { FuzzTarget } from '../harness';

const secret = Buffer.from('fuzz secret');
const identity = encodeEap({
  code: EapCode.RESPONSE,
  identifier: 7,
  type: EapType.IDENTITY,
  data: Buffer.from('client.lab'),
});
const ttls = encodeEap({
  code: EapCode.RESPONSE,
  identifier: 8,
  type: EapType.TTLS,
  data: encodeTlsMethodData(
    { start: false, more: true, version: 0, messageLength: 3000, data: Buffer.alloc(40, 0x16) },
    'ttls',
  ),
});
const ptEap = encodeEap({
  code: EapCode.REQUEST,
  identifier: 9,
  type: EapType.PT_EAP,
  data: encodeTlsMethodData(
    { start: false, more: false, version: 1, data: Buffer.from('0280000100000008', 'hex') },
    'pt-eap',
  ),
});
const request = signRequest(
  3,
  [
    { type: RadiusAttr.USER_NAME, value: Buffer.from('client.lab') },
    ...splitEapMessage(ttls),
    { type: RadiusAttr.STATE, value: Buffer.alloc(16, 1) },
  ],
  secret,
  Buffer.alloc(16, 2),
);
const mppe = encodeVendorAttribute({
  vendor: 311,
  type: 17,
  value: Buffer.concat([Buffer.from([0x80, 1]), Buffer.alloc(48, 3)]),
}).value;

export const targets: FuzzTarget[] = [
  { name: 'radius packet', decode: (b) => decodeRadius(b), seeds: [request] },
  // the whole receive check, Message-Authenticator included: never a crash, whatever arrives
  {
    name: 'radius request check',
    decode(b) {
      const r = checkRequest(b, secret);
      if (!r.ok) throw new DecodeError('invalid', 'RADIUS request', 0, r.why);
      return r.packet;
    },
    seeds: [request],
  },
  { name: 'radius vendor attribute', decode: (b) => decodeVendorAttribute(b), seeds: [mppe] },
  { name: 'ms-mppe key', decode: (b) => decryptMppeKey(b, secret, Buffer.alloc(16)), seeds: [mppe.subarray(6)] },
  { name: 'eap packet', decode: (b) => decodeEap(b), seeds: [identity, ttls, ptEap, Buffer.from([3, 1, 0, 4])] },
  {
    name: 'eap-ttls fragments',
    // the Type-Data of three fragments in a row through the reassembler, bounded at 4 KiB
    decode(b) {
      const a = new FragmentAssembler(4096);
      const third = b.length / 3;
      let whole;
      for (const piece of [b.subarray(0, third), b.subarray(third, 2 * third), b.subarray(2 * third)])
        whole = a.push(decodeTlsMethodData(piece, 'ttls'));
      return whole;
    },
    seeds: [Buffer.concat([decodeEap(ttls).data, decodeEap(ttls).data, Buffer.from([0, 1, 2])])],
  },
  { name: 'pt-eap data', decode: (b) => decodeTlsMethodData(b, 'pt-eap'), seeds: [decodeEap(ptEap).data] },
  {
    name: 'eap-ttls avps',
    decode: (b) => takeAvps(b, 70_000),
    seeds: [Buffer.concat([eapMessageAvp(identity), eapMessageAvp(ptEap)])],
  },
];
