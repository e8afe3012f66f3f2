import { hex24, hex32, VENDOR } from '../vendors';
import { DecodeError } from '../../bytes/errors';
import { Reader } from '../../bytes/cursor';
import { definePbMessage, PbMessageType } from './registry';
import { familyOf } from '../type-registry';
import { readText } from './text';

/**
 * TCG TNC IF-TNCCS 2.0 PB-PDP-Referral: where the client can reach the PDP. TCG identifier
 * types 0 FQDN, 1 IPv4, 2 IPv6 carry [reserved][protocol (0 = PT-TLS)][port u16][address].
 */
export type PdpReferral =
  | { kind: 'fqdn'; protocol: number; port: number; fqdn: string }
  | { kind: 'ipv4' | 'ipv6'; protocol: number; port: number; address: Buffer }
  | { kind: 'raw'; vendor: number; type: number; raw: Buffer };

const KINDS = ['fqdn', 'ipv4', 'ipv6'] as const;
const ADDRESS_LEN = { ipv4: 4, ipv6: 16 } as const;

export const PbPdpReferralMsg = definePbMessage<PdpReferral>({
  vendor: VENDOR.TCG,
  type: 1,
  name: 'PB-PDP-Referral',
  noskip: 'clear',
  minLength: 20,
  decode(r) {
    r.skip(1, 'PB-PDP-Referral reserved');
    const vendor = r.u24('PB-PDP-Referral identifier vendor ID');
    const type = r.u32('PB-PDP-Referral identifier type');
    if (vendor !== VENDOR.TCG || type >= KINDS.length) return { kind: 'raw', vendor, type, raw: r.rest() };
    return decodeIdentifier(r, KINDS[type]);
  },
  encode(w, v) {
    w.u8(0);
    if (v.kind === 'raw') return void w.u24(v.vendor).u32(v.type).bytes(v.raw);
    w.u24(VENDOR.TCG).u32(KINDS.indexOf(v.kind)).u8(0).u8(v.protocol).u16(v.port);
    if (v.kind === 'fqdn') w.utf8(v.fqdn);
    else w.bytes(v.address);
  },
  describe: (v) => [describeReferral(v)],
});

function decodeIdentifier(r: Reader, kind: (typeof KINDS)[number]): PdpReferral {
  r.skip(1, 'PB-PDP-Referral identifier reserved');
  const protocol = r.u8('PB-PDP-Referral protocol');
  const port = r.u16('PB-PDP-Referral port');
  if (kind === 'fqdn') return { kind, protocol, port, fqdn: readText(r, r.remaining, 'PB-PDP-Referral FQDN') };
  if (r.remaining !== ADDRESS_LEN[kind]) {
    throw new DecodeError(
      'invalid',
      `PB-PDP-Referral ${kind} address`,
      r.offset,
      `${r.remaining} bytes, must be ${ADDRESS_LEN[kind]}`,
    );
  }
  return { kind, protocol, port, address: r.rest() };
}

function describeReferral(v: PdpReferral): string {
  if (v.kind === 'raw') return `PDP identifier ${hex24(v.vendor)}/${hex32(v.type)} (${v.raw.length} bytes)`;
  const host = v.kind === 'fqdn' ? v.fqdn : v.kind === 'ipv4' ? [...v.address].join('.') : ipv6(v.address);
  return `PDP server '${host}' port ${v.port} (protocol ${v.protocol === 0 ? 'PT-TLS' : v.protocol})`;
}

const ipv6 = (b: Buffer): string => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');

/** TCG PB-TNC messages: the family's codecs. */
export const TCG_PB_MESSAGES = familyOf(PbMessageType, 'TCG PB-TNC messages', [{ PbPdpReferralMsg }]);
