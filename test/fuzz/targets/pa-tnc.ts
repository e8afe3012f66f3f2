import { ALL_CODECS } from '../../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../../src/protocol/pa-tnc/message';
import { ProductInformationAttr } from '../../../src/protocol/pa-tnc/ietf';
import type { FuzzTarget } from '../harness';

export const targets: FuzzTarget[] = [
  {
    name: 'pa-tnc message',
    decode: (b) => decodePaMessage(b, ALL_CODECS.pa),
    seeds: [
      encodePaMessage({
        messageId: 1,
        attributes: [ProductInformationAttr.make({ vendor: 0, productId: 0, name: 'Ubuntu' })],
      }),
    ],
  },
];
