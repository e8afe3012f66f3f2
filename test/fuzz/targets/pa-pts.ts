import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS } from '../../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../../src/protocol/pa-tnc/message';
import type { AttributeType, PaAttribute } from '../../../src/protocol/pa-tnc/registry';
import { decodeBatch, PbPaMsg } from '../../../src/protocol/pb-tnc';
import * as pts from '../../../src/protocol/pa-tnc/tcg/pts';
import { decodeValue, VECTORS } from '../../protocol/pts-swima-util';
import type { FuzzTarget } from '../harness';

/** PA-TNC bodies of the captured batches that carry PTS attributes. */
function vectorBodies(): Buffer[] {
  return [
    '02-server_to_client-SDATA.bin',
    '04-server_to_client-SDATA.bin',
    '05-client_to_server-CDATA.bin',
    '06-server_to_client-SDATA.bin',
    '07-client_to_server-CDATA.bin',
    '08-server_to_client-SDATA.bin',
    '09-client_to_server-CDATA.bin',
  ]
    .flatMap((f) => decodeBatch(readFileSync(join(VECTORS, f)), ALL_CODECS.pb).messages)
    .filter((m) => PbPaMsg.is(m))
    .map((m) => m.value.body);
}

const files: PaAttribute[] = [
  pts.RequestFileMeasurementAttr.make({ directory: true, requestId: 1, delimiter: 0x2f, path: '/usr/bin' }),
  pts.FileMeasurementAttr.make({
    requestId: 1,
    hashLength: 20,
    files: [{ hash: Buffer.alloc(20, 1), filename: 'ls' }],
  }),
  pts.RequestFileMetadataAttr.make({ directory: false, delimiter: 0x2f, path: '/etc/passwd' }),
  pts.UnixFileMetadataAttr.make({
    files: [{ type: 8, size: 1n, created: 2n, modified: 3n, accessed: 4n, owner: 0n, group: 0n, filename: 'passwd' }],
  }),
];

const bodies = [...vectorBodies(), encodePaMessage({ messageId: 1, attributes: files })];
const allAttrs = bodies.flatMap((b) => decodePaMessage(b, ALL_CODECS.pa).attributes);

/** A target for one attribute's value decoder, seeded with every instance of it seen above. */
function valueTarget(t: AttributeType<unknown>): FuzzTarget {
  const seeds = allAttrs
    .filter((a) => t.is(a))
    .map((a) => encodePaMessage({ messageId: 0, attributes: [a] }).subarray(20));
  return { name: `pts ${t.spec.name}`, decode: (b) => decodeValue(t, b), seeds };
}

export const targets: FuzzTarget[] = [
  { name: 'pa-tnc message with PTS attributes', decode: (b) => decodePaMessage(b, ALL_CODECS.pa), seeds: bodies },
  ...[
    pts.SimpleComponentEvidenceAttr,
    pts.SimpleEvidenceFinalAttr,
    pts.RequestComponentEvidenceAttr,
    pts.DhNonceParamsResponseAttr,
    pts.DhNonceFinishAttr,
    pts.TpmVersionInfoAttr,
  ].map((t) => valueTarget(t as AttributeType<unknown>)),
  ...[pts.FileMeasurementAttr, pts.UnixFileMetadataAttr, pts.RequestFileMeasurementAttr].map((t) =>
    valueTarget(t as AttributeType<unknown>),
  ),
];
