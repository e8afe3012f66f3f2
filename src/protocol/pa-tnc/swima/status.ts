import { Reader, Writer } from '../../../bytes/cursor';
import { VENDOR } from '../../vendors';
import { defineAttribute } from '../registry';
import { describeSwimaRequest, readSwimaRequestFields, SwimaRequest, writeSwimaRequestFields } from './attributes';
import { checkRecordCount, SWIMA_TYPE } from './records';

// RFC 8412 5.11: Subscription Status Request (PV -> PC). "This attribute has no fields."
export const SubscriptionStatusRequestAttr = defineAttribute<null>({
  vendor: VENDOR.IETF,
  type: SWIMA_TYPE.SUBSCRIPTION_STATUS_REQUEST,
  name: 'Subscription Status Request',
  decode: () => null,
  encode: () => {},
  describe: () => ['subscription status request'],
});

/** RFC 8412 5.12: the PV's active subscriptions, each an exact copy of its establishing request. */
export interface SubscriptionStatus {
  subscriptions: SwimaRequest[];
}

// RFC 8412 5.12: [0] Status Flags (reserved), [1..3] Subscription Record Count, then the records
export const SubscriptionStatusResponseAttr = defineAttribute<SubscriptionStatus>({
  vendor: VENDOR.IETF,
  type: SWIMA_TYPE.SUBSCRIPTION_STATUS_RESPONSE,
  name: 'Subscription Status Response',
  decode(r) {
    r.u8('subscription status flags'); // RFC 8412 5.12: reserved, ignored on reception
    const countAt = r.offset;
    const count = r.u24('subscription record count');
    const subscriptions: SwimaRequest[] = [];
    while (!r.atEnd) subscriptions.push(readSwimaRequestFields(r, false));
    checkRecordCount(count, subscriptions.length, countAt);
    return { subscriptions };
  },
  encode(w, v) {
    if (v.subscriptions.length > 0xffffff) throw new RangeError('too many subscriptions for the 24-bit count');
    w.u8(0).u24(v.subscriptions.length);
    for (const s of v.subscriptions) writeSwimaRequestFields(w, s);
  },
  describe: (v) => [
    `subscription status with ${v.subscriptions.length} subscriptions`,
    ...v.subscriptions.map((s) => `  subscription ${s.requestId}: ${describeSwimaRequest(s)}`),
  ],
});

// RFC 8412 5.13: Source Metadata Request (PV -> PC). "This attribute has no fields."
export const SourceMetadataRequestAttr = defineAttribute<null>({
  vendor: VENDOR.IETF,
  type: SWIMA_TYPE.SOURCE_METADATA_REQUEST,
  name: 'Source Metadata Request',
  decode: () => null,
  encode: () => {},
  describe: () => ['source metadata request'],
});

/** RFC 8412 5.14: one data source of the PC; the metadata is free text (untrusted, for humans). */
export interface SourceMetadata {
  sourceId: number;
  metadata: string;
}

function readSource(r: Reader): SourceMetadata {
  const sourceId = r.u8('source identification number');
  return { sourceId, metadata: r.lengthPrefixed(2, 'source metadata').toString('utf8') };
}

function writeSource(w: Writer, s: SourceMetadata): void {
  w.u8(s.sourceId).lengthPrefixed(2, Buffer.from(s.metadata, 'utf8'));
}

// RFC 8412 5.14: [0..1] Reserved, [2] Source Count, then per source: Source ID, u16 length + Metadata
export const SourceMetadataResponseAttr = defineAttribute<SourceMetadata[]>({
  vendor: VENDOR.IETF,
  type: SWIMA_TYPE.SOURCE_METADATA_RESPONSE,
  name: 'Source Metadata Response',
  decode(r) {
    r.u16('source metadata reserved'); // RFC 8412 5.14: ignored on reception
    const countAt = r.offset;
    const count = r.u8('source count');
    const sources: SourceMetadata[] = [];
    while (!r.atEnd) sources.push(readSource(r));
    checkRecordCount(count, sources.length, countAt);
    return sources;
  },
  encode(w, v) {
    if (v.length > 0xff) throw new RangeError('too many sources for the 8-bit count');
    w.u16(0).u8(v.length);
    for (const s of v) writeSource(w, s);
  },
  describe: (v) => [
    `source metadata with ${v.length} sources`,
    ...v.map((s) => `  source ${s.sourceId}: ${s.metadata}`),
  ],
});
