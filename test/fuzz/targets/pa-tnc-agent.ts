import { ALL_CODECS } from '../../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../../src/protocol/pa-tnc/message';
import { ImaTemplateDataAttr, RequestImaTemplateDataAttr } from '../../../src/protocol/pa-tnc/tnc-agent';
import type { FuzzTarget } from '../harness';

const ngData = Buffer.from(
  '2800000073686132353600' + '00'.repeat(32) + '0f0000002f7573722f62696e2f64617368' + '00',
  'hex',
);
const seed = encodePaMessage({
  messageId: 1,
  attributes: [RequestImaTemplateDataAttr.make({}), ImaTemplateDataAttr.make({ template: 'ima-ng', data: ngData })],
});

export const targets: FuzzTarget[] = [
  { name: 'pa-tnc tnc-agent attributes', decode: (b) => decodePaMessage(b, ALL_CODECS.pa), seeds: [seed] },
];
