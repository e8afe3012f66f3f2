import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import {
  DATA_MODEL,
  SwEventsAttr,
  SwIdEventsAttr,
  SwIdInventoryAttr,
  SwimaRequest,
  SwInventoryAttr,
  SwRecord,
} from '../../protocol/pa-tnc/swima';
import { swidTag, SwOs, TagCreator } from './sw-id';
import type { StoredIdentifier, SwimaStore } from './store';

/** What a response needs besides the store: how to make full tags. */
export interface TagSource {
  readonly os: SwOs;
  readonly creator: TagCreator;
}

// RFC 8412 5.7: source ID 1 = our dpkg collector (strongSwan: 1 = package-manager generator)
export const SOURCE_DPKG = 1;

function record(id: StoredIdentifier, full: boolean, tags: TagSource): SwRecord {
  const rec: SwRecord = {
    recordId: id.id,
    dataModelPen: DATA_MODEL.SWID_2015.pen,
    dataModelType: DATA_MODEL.SWID_2015.type,
    sourceId: SOURCE_DPKG,
    softwareId: id.swId,
    softwareLocator: '',
  };
  if (full) rec.record = Buffer.from(swidTag(tags.creator, tags.os, id.package, id.version), 'utf8');
  return rec;
}

/** `subscriptionId`: the response fulfils that subscription (RFC 8412 5.8, flag bit 0x80). */
export interface ResponseFor {
  readonly request: SwimaRequest;
  readonly subscriptionId?: number;
  /** For event subscriptions: the first EID not yet delivered. */
  readonly earliestEid?: number;
}

/**
 * RFC 8412 5.8-5.11: the inventory (earliest EID 0) or the events since the earliest EID, identifiers
 * only or full records, all or only the targeted identifiers; Last EID = the store's newest event.
 */
export function swimaResponse(store: SwimaStore, tags: TagSource, r: ResponseFor): PaAttribute {
  const { request } = r;
  const full = !request.idsOnly;
  const header = {
    subscriptionFulfillment: r.subscriptionId !== undefined,
    requestId: r.subscriptionId ?? request.requestId,
    eidEpoch: store.epoch,
    lastEid: store.lastEid(),
  };
  if (request.earliestEid === 0) {
    const records = store.inventory(request.softwareIds).map((id) => record(id, full, tags));
    return (full ? SwInventoryAttr : SwIdInventoryAttr).make({ ...header, records });
  }
  const events = store
    .eventsSince(r.earliestEid ?? request.earliestEid, request.softwareIds)
    .map((e) => ({ eid: e.eid, timestamp: e.timestamp, action: e.action, record: record(e.identifier, full, tags) }));
  return (full ? SwEventsAttr : SwIdEventsAttr).make({ ...header, lastConsultedEid: header.lastEid, events });
}
