import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS } from '../../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../../src/protocol/pa-tnc/message';
import type { AttributeType, PaAttribute } from '../../../src/protocol/pa-tnc/registry';
import { decodeBatch, PbPaMsg } from '../../../src/protocol/pb-tnc';
import * as swima from '../../../src/protocol/pa-tnc/swima';
import { decodeValue, VECTORS } from '../../protocol/pts-swima-util';
import type { FuzzTarget } from '../harness';

function vectorBodies(): Buffer[] {
  return [
    '02-server_to_client-SDATA.bin',
    '03-client_to_server-CDATA.bin',
    'profile-B/02-server_to_client-SDATA.bin',
    'profile-B/03-client_to_server-CDATA.bin',
  ]
    .flatMap((f) => decodeBatch(readFileSync(join(VECTORS, f)), ALL_CODECS.pb).messages)
    .filter((m) => PbPaMsg.is(m))
    .map((m) => m.value.body);
}

const rec = {
  recordId: 1,
  dataModelPen: 0,
  dataModelType: 0,
  sourceId: 1,
  softwareId: 'strongswan.org__x',
  softwareLocator: '',
};
const header = { subscriptionFulfillment: true, requestId: 9, eidEpoch: 1, lastEid: 5, lastConsultedEid: 5 };
const events: PaAttribute[] = [
  swima.SwIdEventsAttr.make({
    ...header,
    events: [{ eid: 5, timestamp: '2024-01-01T00:00:00Z', action: 1, record: rec }],
  }),
  swima.SwEventsAttr.make({
    ...header,
    events: [{ eid: 5, timestamp: '2024-01-01T00:00:00Z', action: 3, record: { ...rec, record: Buffer.from('<x/>') } }],
  }),
  swima.SwimaRequestAttr.make({
    clearSubscriptions: false,
    subscribe: true,
    idsOnly: false,
    requestId: 2,
    earliestEid: 0,
    softwareIds: ['a__b'],
  }),
  swima.SubscriptionStatusRequestAttr.make(null),
  swima.SubscriptionStatusResponseAttr.make({
    subscriptions: [
      {
        clearSubscriptions: false,
        subscribe: true,
        idsOnly: true,
        requestId: 3,
        earliestEid: 9,
        softwareIds: ['a__b', 'c__d'],
      },
    ],
  }),
  swima.SourceMetadataRequestAttr.make(null),
  swima.SourceMetadataResponseAttr.make([{ sourceId: 1, metadata: 'dpkg status database /var/lib/dpkg/status' }]),
];

const bodies = [...vectorBodies(), encodePaMessage({ messageId: 1, attributes: events })];
const allAttrs = bodies.flatMap((b) => decodePaMessage(b, ALL_CODECS.pa).attributes);

function valueTarget(t: AttributeType<unknown>): FuzzTarget {
  const seeds = allAttrs
    .filter((a) => t.is(a))
    .map((a) => encodePaMessage({ messageId: 0, attributes: [a] }).subarray(20));
  return { name: `swima ${t.spec.name}`, decode: (b) => decodeValue(t, b), seeds };
}

export const targets: FuzzTarget[] = [
  { name: 'pa-tnc message with SWIMA attributes', decode: (b) => decodePaMessage(b, ALL_CODECS.pa), seeds: bodies },
  ...[
    swima.SwimaRequestAttr,
    swima.SwIdInventoryAttr,
    swima.SwInventoryAttr,
    swima.SwIdEventsAttr,
    swima.SwEventsAttr,
    swima.SubscriptionStatusResponseAttr,
    swima.SourceMetadataResponseAttr,
  ].map((t) => valueTarget(t as AttributeType<unknown>)),
];
