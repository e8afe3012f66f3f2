import { hex32, VENDOR } from '../vendors';
import { definePbMessage, PbMessageType } from './registry';
import { familyOf } from '../type-registry';

// ITA-HSR (strongSwan) PB-Noskip-Test: an empty message sent with NOSKIP to probe the peer
export const PbNoskipTestMsg = definePbMessage<null>({
  vendor: VENDOR.ITA,
  type: 0,
  name: 'PB-Noskip-Test',
  noskip: 'set',
  minLength: 12,
  exactLength: true,
  decode: () => null,
  encode: () => undefined,
});

/** ITA-HSR PB-Mutual-Capability flags (u32). */
export const MUTUAL_HALF_DUPLEX = 0x80000000;
export const MUTUAL_FULL_DUPLEX = 0x40000000;

export const PbMutualCapabilityMsg = definePbMessage<number>({
  vendor: VENDOR.ITA,
  type: 1,
  name: 'PB-Mutual-Capability',
  noskip: 'clear',
  minLength: 16,
  decode: (r) => r.u32('PB-Mutual-Capability flags'),
  encode: (w, v) => void w.u32(v),
  describe: (v) => [
    `mutual capability ${hex32(v)}${v & MUTUAL_HALF_DUPLEX ? ' half-duplex' : ''}${v & MUTUAL_FULL_DUPLEX ? ' full-duplex' : ''}`,
  ],
});

/** ITA-HSR PB-TNC messages: the family's codecs. */
export const ITA_PB_MESSAGES = familyOf(PbMessageType, 'ITA-HSR PB-TNC messages', [
  { PbNoskipTestMsg, PbMutualCapabilityMsg },
]);
