import { Reader, Writer } from '../../../bytes/cursor';
import { DecodeError } from '../../../bytes/errors';
import { VENDOR } from '../../vendors';
import { AttributeType, defineAttribute } from '../registry';
import {
  checkRecordCount,
  describeHeader,
  readListHeader,
  readRecord,
  SW_ACTION,
  swActionName,
  SWIMA_TYPE,
  SwimaListHeader,
  SwRecord,
  writeListHeader,
  writeRecord,
} from './records';

// RFC 8412: SWIMA Request
export const SWIMA_REQ_FLAG = { CLEAR: 0x80, SUBSCRIBE: 0x40, IDS_ONLY: 0x20 } as const;

export interface SwimaRequest {
  /** C: clear all of this PV's subscriptions. */
  clearSubscriptions: boolean;
  /** S: establish a subscription. */
  subscribe: boolean;
  /** R: software identifiers only (attributes 14/15) rather than full records (16/17). */
  idsOnly: boolean;
  requestId: number;
  /** 0 = inventory; > 0 = events with EID >= this. */
  earliestEid: number;
  /** Targeted request: only these identifiers; empty = everything. */
  softwareIds: string[];
}

/**
 * The SWIMA Request fields (RFC 8412 5.6), also copied into each record of a Subscription Status
 * Response (5.12). `toEnd`: the identifiers run to the end of the value (a request); otherwise
 * exactly `count` of them follow (a status record), each read bounds-checked.
 */
export function readSwimaRequestFields(r: Reader, toEnd: boolean): SwimaRequest {
  const flags = r.u8('SWIMA Request flags');
  const countAt = r.offset;
  const count = r.u24('software identifier count');
  const requestId = r.u32('SWIMA request ID');
  const earliestEid = r.u32('earliest EID');
  const softwareIds: string[] = [];
  while (toEnd ? !r.atEnd : softwareIds.length < count)
    softwareIds.push(r.lengthPrefixed(2, 'software identifier').toString('utf8'));
  checkRecordCount(count, softwareIds.length, countAt);
  return {
    clearSubscriptions: (flags & SWIMA_REQ_FLAG.CLEAR) !== 0,
    subscribe: (flags & SWIMA_REQ_FLAG.SUBSCRIBE) !== 0,
    idsOnly: (flags & SWIMA_REQ_FLAG.IDS_ONLY) !== 0,
    requestId,
    earliestEid,
    softwareIds,
  };
}

export function writeSwimaRequestFields(w: Writer, v: SwimaRequest): void {
  const flags =
    (v.clearSubscriptions ? SWIMA_REQ_FLAG.CLEAR : 0) |
    (v.subscribe ? SWIMA_REQ_FLAG.SUBSCRIBE : 0) |
    (v.idsOnly ? SWIMA_REQ_FLAG.IDS_ONLY : 0);
  if (v.softwareIds.length > 0xffffff) throw new RangeError('too many software identifiers for the 24-bit count');
  w.u8(flags).u24(v.softwareIds.length).u32(v.requestId).u32(v.earliestEid);
  for (const id of v.softwareIds) w.lengthPrefixed(2, Buffer.from(id, 'utf8'));
}

/** `sw request 3 with earliest eid 1, sw identifiers only` (the IMV's wording). */
export function describeSwimaRequest(v: SwimaRequest): string {
  return `sw request ${v.requestId} with earliest eid ${v.earliestEid}${v.idsOnly ? ', sw identifiers only' : ''}${v.subscribe ? ', subscribe' : ''}${v.clearSubscriptions ? ', clear subscriptions' : ''}`;
}

export const SwimaRequestAttr = defineAttribute<SwimaRequest>({
  vendor: VENDOR.IETF,
  type: SWIMA_TYPE.REQUEST,
  name: 'SWIMA Request',
  decode: (r) => readSwimaRequestFields(r, true),
  encode: writeSwimaRequestFields,
  describe: (v) => [describeSwimaRequest(v), ...v.softwareIds.map((id) => `  ${id}`)],
});

// RFC 8412: Software Identifier Inventory (IDs only) and Software Inventory (full records)
export interface SwInventory extends SwimaListHeader {
  records: SwRecord[];
}

function defineInventory(type: number, name: string, full: boolean, noun: string): AttributeType<SwInventory> {
  return defineAttribute<SwInventory>({
    vendor: VENDOR.IETF,
    type,
    name,
    decode(r) {
      const { header, count, countAt } = readListHeader(r);
      const records: SwRecord[] = [];
      while (!r.atEnd) records.push(readRecord(r, full).rec);
      checkRecordCount(count, records.length, countAt);
      return { ...header, records };
    },
    encode(w, v) {
      writeListHeader(w, v, v.records.length);
      for (const rec of v.records) writeRecord(w, rec, full, 0);
    },
    describe: (v) => [
      `${noun} with ${v.records.length} items for ${describeHeader(v)}`,
      ...v.records.map((rec) => `  ${rec.recordId}: ${rec.softwareId}`),
    ],
  });
}

export const SwIdInventoryAttr = defineInventory(
  SWIMA_TYPE.SW_ID_INVENTORY,
  'SW Identifier Inventory',
  false,
  'software ID inventory',
);
export const SwInventoryAttr = defineInventory(SWIMA_TYPE.SW_INVENTORY, 'SW Inventory', true, 'software inventory');

// RFC 8412: Software Identifier Events and Software Events
export const SW_TIMESTAMP_LEN = 20;

export interface SwEvent {
  eid: number;
  /** RFC 3339 UTC, 20 characters. */
  timestamp: string;
  action: number;
  record: SwRecord;
}

export interface SwEvents extends SwimaListHeader {
  lastConsultedEid: number;
  events: SwEvent[];
}

function readEvent(r: Reader, full: boolean): SwEvent {
  const eid = r.u32('event EID');
  const timestamp = r.bytes(SW_TIMESTAMP_LEN, 'event timestamp').toString('latin1');
  const at = r.offset + 9;
  const { rec, byte9 } = readRecord(r, full);
  if (byte9 < SW_ACTION.CREATION || byte9 > SW_ACTION.ALTERATION)
    throw new DecodeError('invalid', 'event action', at, `action ${byte9} not defined`);
  return { eid, timestamp, action: byte9, record: rec };
}

function writeEvent(w: Writer, e: SwEvent, full: boolean): void {
  const ts = Buffer.from(e.timestamp, 'latin1');
  if (ts.length !== SW_TIMESTAMP_LEN) throw new RangeError(`event timestamp must be ${SW_TIMESTAMP_LEN} characters`);
  w.u32(e.eid).bytes(ts);
  writeRecord(w, e.record, full, e.action);
}

function defineEvents(type: number, name: string, full: boolean, noun: string): AttributeType<SwEvents> {
  return defineAttribute<SwEvents>({
    vendor: VENDOR.IETF,
    type,
    name,
    decode(r) {
      const { header, count, countAt } = readListHeader(r);
      const lastConsultedEid = r.u32('last consulted EID');
      const events: SwEvent[] = [];
      while (!r.atEnd) events.push(readEvent(r, full));
      checkRecordCount(count, events.length, countAt);
      return { ...header, lastConsultedEid, events };
    },
    encode(w, v) {
      writeListHeader(w, v, v.events.length);
      w.u32(v.lastConsultedEid);
      for (const e of v.events) writeEvent(w, e, full);
    },
    describe: (v) => [
      `${noun} with ${v.events.length} items for ${describeHeader(v)}`,
      ...v.events.map((e) => `  ${e.eid} ${e.timestamp} ${swActionName(e.action)} ${e.record.softwareId}`),
    ],
  });
}

export const SwIdEventsAttr = defineEvents(
  SWIMA_TYPE.SW_ID_EVENTS,
  'SW Identifier Events',
  false,
  'software ID events',
);
export const SwEventsAttr = defineEvents(SWIMA_TYPE.SW_EVENTS, 'SW Events', true, 'software events');
