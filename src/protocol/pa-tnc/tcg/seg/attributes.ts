import { defineAttribute } from '../../registry';
import { VENDOR } from '../../../vendors';

/** TCG IF-M Segmentation 1.0 (Segmentation Contract Request/Response): 0xFFFFFFFF = no message size limit / no segmentation. */
export const NO_LIMIT = 0xffffffff;

export interface SegmentationContract {
  /** Largest reassembled attribute (header included) the receiver accepts. */
  maxMessageSize: number;
  /** Largest segment data carried in one envelope. */
  maxSegmentSize: number;
}

/** strongSwan's wording: "no message size limit, maximum segment size of 32698 bytes". */
export function describeContract(c: SegmentationContract): string {
  const msg =
    c.maxMessageSize === NO_LIMIT ? 'no message size limit' : `maximum message size of ${c.maxMessageSize} bytes`;
  const seg = c.maxSegmentSize === NO_LIMIT ? 'no segmentation' : `maximum segment size of ${c.maxSegmentSize} bytes`;
  return `${msg}, ${seg}`;
}

// TCG IF-M Segmentation (per strongSwan tcg/seg): Max Message Size(4), Max Segment Size(4)
const contractAttribute = (type: number, name: string) =>
  defineAttribute<SegmentationContract>({
    vendor: VENDOR.TCG,
    type,
    name,
    decode: (r) => ({
      maxMessageSize: r.u32(`${name} max message size`),
      maxSegmentSize: r.u32(`${name} max segment size`),
    }),
    encode: (w, v) => void w.u32(v.maxMessageSize).u32(v.maxSegmentSize),
    describe: (v) => [describeContract(v)],
  });

export const ContractRequestAttr = contractAttribute(0x21, 'Segmentation Contract Request');
export const ContractResponseAttr = contractAttribute(0x22, 'Segmentation Contract Response');

export interface SegmentEnvelope {
  /** M: more segments follow. */
  more: boolean;
  /** S: first segment (its data starts with the inner attribute's 12-byte header). */
  start: boolean;
  /** u24, counted from 1 per contract. */
  baseMessageId: number;
  data: Buffer;
}

const MORE = 0x80;
const START = 0x40;

// TCG IF-M Segmentation Envelope: flags(1: M 0x80, S 0x40), base message ID(3), segment data
export const SegmentEnvelopeAttr = defineAttribute<SegmentEnvelope>({
  vendor: VENDOR.TCG,
  type: 0x23,
  name: 'Segmentation Envelope',
  decode(r) {
    // reserved flag bits are ignored on receipt
    const flags = r.u8('Segmentation Envelope flags');
    const baseMessageId = r.u24('Segmentation Envelope base message ID');
    return { more: (flags & MORE) !== 0, start: (flags & START) !== 0, baseMessageId, data: Buffer.from(r.rest()) };
  },
  encode(w, v) {
    w.u8((v.more ? MORE : 0) | (v.start ? START : 0))
      .u24(v.baseMessageId)
      .bytes(v.data);
  },
  describe: (v) => [
    `segment of base message ID ${v.baseMessageId}: ${v.data.length} bytes${v.start ? ', first' : ''}${v.more ? ', more to follow' : ', last'}`,
  ],
});

export interface NextSegment {
  /** C: cancel the exchange instead of asking for the next segment. */
  cancel: boolean;
  baseMessageId: number;
}

// strongSwan writes and tests the C flag as 0x01 (tcg_seg_attr_next_seg.c); we send 0x01 and accept 0x80 too
const CANCEL = 0x01;
const CANCEL_MSB = 0x80;

// TCG IF-M Next Segment: flags(1), base message ID(3)
export const NextSegmentAttr = defineAttribute<NextSegment>({
  vendor: VENDOR.TCG,
  type: 0x24,
  name: 'Next Segment',
  decode(r) {
    const flags = r.u8('Next Segment flags');
    return { cancel: (flags & (CANCEL | CANCEL_MSB)) !== 0, baseMessageId: r.u24('Next Segment base message ID') };
  },
  encode: (w, v) => void w.u8(v.cancel ? CANCEL : 0).u24(v.baseMessageId),
  describe: (v) => [`${v.cancel ? 'cancel' : 'next segment of'} base message ID ${v.baseMessageId}`],
});

// TCG IF-M Cancel Segment Exchange. Layout unverified (the TCG spec was not available): taken
// to be like Next Segment, reserved(1) + base message ID(3). strongSwan does not implement it.
export const CancelSegmentExchangeAttr = defineAttribute<{ baseMessageId: number }>({
  vendor: VENDOR.TCG,
  type: 0x25,
  name: 'Cancel Segment Exchange',
  decode(r) {
    r.skip(1, 'Cancel Segment Exchange reserved');
    return { baseMessageId: r.u24('Cancel Segment Exchange base message ID') };
  },
  encode: (w, v) => void w.u8(0).u24(v.baseMessageId),
  describe: (v) => [`cancel segment exchange of base message ID ${v.baseMessageId}`],
});
