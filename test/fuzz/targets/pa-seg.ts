import { ALL_CODECS } from '../../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../../src/protocol/pa-tnc/message';
import { TestingAttr } from '../../../src/protocol/pa-tnc/ietf';
import {
  ContractRequestAttr,
  NextSegmentAttr,
  Reassembler,
  SegmentEnvelope,
  SegmentEnvelopeAttr,
  SegmentSender,
} from '../../../src/protocol/pa-tnc/tcg/seg';
import type { FuzzTarget } from '../harness';

/** A whole segment exchange (all envelopes of one attribute) in one PA-TNC message. */
function exchange(): Buffer {
  const sender = new SegmentSender({ maxMessageSize: 0xffffffff, maxSegmentSize: 40 });
  const envs = [sender.first(TestingAttr.make(Buffer.alloc(150, 7)))];
  for (
    let e = sender.next({ cancel: false, baseMessageId: 1 });
    e;
    e = sender.next({ cancel: false, baseMessageId: 1 })
  )
    envs.push(e);
  return encodePaMessage({ messageId: 1, attributes: envs });
}

const control = encodePaMessage({
  messageId: 2,
  attributes: [
    ContractRequestAttr.make({ maxMessageSize: 0xffffffff, maxSegmentSize: 32698 }),
    NextSegmentAttr.make({ cancel: true, baseMessageId: 3 }),
  ],
});

export const targets: FuzzTarget[] = [
  {
    name: 'pa-tnc tcg segmentation attributes',
    decode: (b) => decodePaMessage(b, ALL_CODECS.pa),
    seeds: [control, exchange()],
  },
  {
    // hostile envelope sequences into a reassembler limited to 4 KB
    name: 'pa-tnc segment reassembly',
    decode(b) {
      const r = new Reassembler(ALL_CODECS.pa, 4096);
      return decodePaMessage(b, ALL_CODECS.pa)
        .attributes.filter((a) => SegmentEnvelopeAttr.is(a))
        .map((a) => r.add(a.value as SegmentEnvelope).kind);
    },
    seeds: [exchange()],
  },
];
