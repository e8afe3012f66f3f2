import { Reader, Writer } from '../../../bytes/cursor';
import { DecodeError } from '../../../bytes/errors';

// RFC 8412, IANA PA-TNC attribute types: SWIMA attributes (IETF vendor 0)
export const SWIMA_TYPE = {
  REQUEST: 13,
  SW_ID_INVENTORY: 14,
  SW_ID_EVENTS: 15,
  SW_INVENTORY: 16,
  SW_EVENTS: 17,
  SUBSCRIPTION_STATUS_REQUEST: 18,
  SUBSCRIPTION_STATUS_RESPONSE: 19,
  SOURCE_METADATA_REQUEST: 20,
  SOURCE_METADATA_RESPONSE: 21,
} as const;

// RFC 8412, Data Model Type: PEN 0 / type 0 = ISO/IEC 19770-2:2015 SWID tags, type 1 = 19770-2:2009
export const DATA_MODEL = { SWID_2015: { pen: 0, type: 0 }, SWID_2009: { pen: 0, type: 1 } } as const;

// RFC 8412, Software Identifier Events: action values
export const SW_ACTION = { CREATION: 1, DELETION: 2, ALTERATION: 3 } as const;
const actionNames = ['', 'CREATION', 'DELETION', 'ALTERATION'];

export function swActionName(action: number): string {
  return actionNames[action] || `action-${action}`;
}

/** RFC 8412, inventory/event attributes: flags bit 0x80 = the attribute fulfils a subscription (then the ID is a Subscription ID). */
export const SWIMA_FLAG_SUBSCRIPTION = 0x80;

/** The common 16-byte inventory header; events add Last Consulted EID. */
export interface SwimaListHeader {
  /** true: requestId holds the Subscription ID this attribute fulfils. */
  subscriptionFulfillment: boolean;
  requestId: number;
  eidEpoch: number;
  lastEid: number;
}

/** One software record as the endpoint reports it (untrusted claims). */
export interface SwRecord {
  recordId: number;
  dataModelPen: number;
  dataModelType: number;
  sourceId: number;
  softwareId: string;
  /** May be empty. */
  softwareLocator: string;
  /** Full record (e.g. SWID XML); only in Software Inventory / Software Events. */
  record?: Buffer;
}

export interface ListHeaderAndCount {
  header: SwimaListHeader;
  /** Record count from the wire: never used to size anything, only compared at the end. */
  count: number;
  countAt: number;
}

export function readListHeader(r: Reader): ListHeaderAndCount {
  const flags = r.u8('SWIMA flags');
  const countAt = r.offset;
  const count = r.u24('SWIMA record count');
  const header = {
    subscriptionFulfillment: (flags & SWIMA_FLAG_SUBSCRIPTION) !== 0,
    requestId: r.u32('SWIMA request ID'),
    eidEpoch: r.u32('EID epoch'),
    lastEid: r.u32('last EID'),
  };
  return { header, count, countAt };
}

export function writeListHeader(w: Writer, h: SwimaListHeader, count: number): void {
  if (count > 0xffffff) throw new RangeError(`${count} records do not fit the 24-bit count`);
  w.u8(h.subscriptionFulfillment ? SWIMA_FLAG_SUBSCRIPTION : 0)
    .u24(count)
    .u32(h.requestId)
    .u32(h.eidEpoch)
    .u32(h.lastEid);
}

/** Compares the wire count with what was decoded while bytes remained. */
export function checkRecordCount(declared: number, found: number, at: number): void {
  if (declared !== found)
    throw new DecodeError('invalid', 'SWIMA record count', at, `count says ${declared}, ${found} records present`);
}

function utf8Field(r: Reader, what: string): string {
  return r.lengthPrefixed(2, what).toString('utf8');
}

/**
 * RFC 8412, inventory and event records: a record; byte 9 is reserved in inventories and the Action in events,
 * so it is returned to the caller. `full` = Software Inventory/Events (record data follows).
 */
export function readRecord(r: Reader, full: boolean): { rec: SwRecord; byte9: number } {
  const recordId = r.u32('record identifier');
  const dataModelPen = r.u24('data model type PEN');
  const dataModelType = r.u8('data model type');
  const sourceId = r.u8('source ID number');
  const byte9 = r.u8('record action/reserved');
  const softwareId = utf8Field(r, 'software identifier');
  const softwareLocator = utf8Field(r, 'software locator');
  const rec: SwRecord = { recordId, dataModelPen, dataModelType, sourceId, softwareId, softwareLocator };
  if (full) rec.record = r.lengthPrefixed(4, 'software record');
  return { rec, byte9 };
}

export function writeRecord(w: Writer, rec: SwRecord, full: boolean, byte9: number): void {
  w.u32(rec.recordId).u24(rec.dataModelPen).u8(rec.dataModelType).u8(rec.sourceId).u8(byte9);
  w.lengthPrefixed(2, Buffer.from(rec.softwareId, 'utf8')).lengthPrefixed(2, Buffer.from(rec.softwareLocator, 'utf8'));
  if (full !== (rec.record !== undefined))
    throw new RangeError(
      full ? 'a full software record needs its record data' : 'an identifier-only record carries no record data',
    );
  if (rec.record) w.lengthPrefixed(4, rec.record);
}

/** `... for request 3 at last eid 1 of epoch 0x11223344` */
export function describeHeader(h: SwimaListHeader): string {
  const id = h.subscriptionFulfillment ? `subscription ${h.requestId}` : `request ${h.requestId}`;
  return `${id} at last eid ${h.lastEid} of epoch 0x${h.eidEpoch.toString(16).padStart(8, '0')}`;
}
