import { Reader, Writer } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';
import { VENDOR } from '../vendors';
import { PT_TLS_HEADER_LEN, PT_TLS_MAX_MESSAGE_LEN, PT_TLS_RESERVED_TYPE, PtTlsType, SaslResult } from './types';

/** RFC 6876 3.5: the 16-byte message header. `length` includes the header. */
export interface PtTlsHeader {
  readonly vendor: number;
  readonly type: number;
  readonly length: number;
  /** Per-sender message counter (strongSwan starts at 0). */
  readonly id: number;
}

/** A decoded message value, by type. Unregistered (vendor, type) pairs stay raw as `unknown`. */
export type PtTlsValue =
  | { kind: 'experimental'; data: Buffer }
  | { kind: 'versionRequest'; minVersion: number; maxVersion: number; preferredVersion: number }
  | { kind: 'versionResponse'; version: number }
  | { kind: 'saslMechanisms'; mechanisms: string[] }
  | { kind: 'saslMechanismSelection'; mechanism: string; initialResponse?: Buffer }
  | { kind: 'saslAuthenticationData'; data: Buffer }
  /** `codeWidth` 1 = strongSwan's one-byte code (the default), 2 = RFC 6876's u16 code. */
  | { kind: 'saslResult'; result: SaslResult; codeWidth?: 1 | 2; data?: Buffer }
  /** `batch` is the raw PB-TNC batch, untrusted until the PB-TNC decoder has read it. */
  | { kind: 'pbTncBatch'; batch: Buffer }
  | { kind: 'error'; errorVendor: number; errorCode: number; offending: Buffer }
  | { kind: 'unknown'; vendor: number; type: number; data: Buffer };

export interface PtTlsMessage {
  readonly id: number;
  readonly value: PtTlsValue;
}

export type PtTlsKind = PtTlsValue['kind'];
export type PtTlsValueOf<K extends PtTlsKind> = Extract<PtTlsValue, { kind: K }>;
type Kind = Exclude<PtTlsKind, 'unknown'>;
type ValueOf<K extends Kind> = PtTlsValueOf<K>;
interface ValueCodec<K extends Kind> {
  readonly type: PtTlsType;
  decode(r: Reader): Omit<ValueOf<K>, 'kind'>;
  encode(w: Writer, v: ValueOf<K>): void;
}

// RFC 4422 3.1: SASL mechanism names are 1..20 of [A-Z0-9-_]
const MECHANISM_NAME = /^[A-Z0-9_-]{1,20}$/;

function decodeMechanism(r: Reader): string {
  const at = r.offset;
  // RFC 6876 3.8.1: 3 reserved bits, 5-bit name length
  const len = r.u8('SASL mechanism name length') & 0x1f;
  const name = r.bytes(len, 'SASL mechanism name').toString('latin1');
  if (!MECHANISM_NAME.test(name))
    throw new DecodeError('invalid', 'SASL mechanism name', at, `bad mechanism name of ${len} bytes`);
  return name;
}

function encodeMechanism(w: Writer, name: string): void {
  if (!MECHANISM_NAME.test(name)) throw new RangeError(`bad SASL mechanism name '${name}'`);
  w.u8(name.length).utf8(name);
}

const versionRequest: ValueCodec<'versionRequest'> = {
  type: PtTlsType.VERSION_REQUEST,
  decode(r) {
    r.skip(1, 'Version Request reserved'); // RFC 6876 3.7.1: reserved, ignored on receipt
    const minVersion = r.u8('Version Request min version');
    const maxVersion = r.u8('Version Request max version');
    const preferredVersion = r.u8('Version Request preferred version');
    return { minVersion, maxVersion, preferredVersion };
  },
  encode: (w, v) => void w.u8(0).u8(v.minVersion).u8(v.maxVersion).u8(v.preferredVersion),
};

const versionResponse: ValueCodec<'versionResponse'> = {
  type: PtTlsType.VERSION_RESPONSE,
  decode(r) {
    r.skip(3, 'Version Response reserved'); // RFC 6876 3.7.2: 24 reserved bits
    return { version: r.u8('Version Response version') };
  },
  encode: (w, v) => void w.zeros(3).u8(v.version),
};

const saslMechanisms: ValueCodec<'saslMechanisms'> = {
  type: PtTlsType.SASL_MECHANISMS,
  decode(r) {
    // RFC 6876 3.8.1: an empty list ends the authentication phase
    const mechanisms: string[] = [];
    while (!r.atEnd) mechanisms.push(decodeMechanism(r));
    return { mechanisms };
  },
  encode(w, v) {
    for (const m of v.mechanisms) encodeMechanism(w, m);
  },
};

const saslMechanismSelection: ValueCodec<'saslMechanismSelection'> = {
  type: PtTlsType.SASL_MECHANISM_SELECTION,
  decode(r) {
    const mechanism = decodeMechanism(r);
    // RFC 6876 3.8.2: an optional initial client response fills the rest
    const rest = r.rest();
    return rest.length > 0 ? { mechanism, initialResponse: rest } : { mechanism };
  },
  encode(w, v) {
    encodeMechanism(w, v.mechanism);
    if (v.initialResponse) w.bytes(v.initialResponse);
  },
};

const saslAuthenticationData: ValueCodec<'saslAuthenticationData'> = {
  type: PtTlsType.SASL_AUTHENTICATION_DATA,
  decode: (r) => ({ data: r.rest() }),
  encode: (w, v) => void w.bytes(v.data),
};

// RFC 6876 3.8.4 gives the result code 2 octets; strongSwan writes and reads 1. strongSwan never adds
// data, so a 1-byte value is its form and anything longer is the RFC's u16 code + optional data.
// We send 1 byte unless asked for the RFC width or carrying data (which needs it to stay unambiguous).
const saslResult: ValueCodec<'saslResult'> = {
  type: PtTlsType.SASL_RESULT,
  decode(r) {
    const at = r.offset;
    const wide = r.remaining !== 1;
    const result = wide ? r.u16('SASL Result code') : r.u8('SASL Result code');
    if (result > SaslResult.MECHANISM_FAILURE)
      throw new DecodeError('invalid', 'SASL Result code', at, `unknown result ${result}`);
    const data = r.rest();
    return wide ? { result, codeWidth: 2, ...(data.length > 0 ? { data } : {}) } : { result, codeWidth: 1 };
  },
  encode(w, v) {
    if (v.codeWidth === 2 || (v.data && v.data.length > 0)) w.u16(v.result).bytes(v.data ?? Buffer.alloc(0));
    else w.u8(v.result);
  },
};

const pbTncBatch: ValueCodec<'pbTncBatch'> = {
  type: PtTlsType.PB_TNC_BATCH,
  decode: (r) => ({ batch: r.rest() }),
  encode: (w, v) => void w.bytes(v.batch),
};

const error: ValueCodec<'error'> = {
  type: PtTlsType.ERROR,
  decode(r) {
    r.skip(1, 'PT-TLS Error reserved'); // RFC 6876 3.9: reserved octet
    const errorVendor = r.u24('PT-TLS Error code vendor ID');
    const errorCode = r.u32('PT-TLS Error code');
    return { errorVendor, errorCode, offending: r.rest() };
  },
  encode: (w, v) => void w.u8(0).u24(v.errorVendor).u32(v.errorCode).bytes(v.offending),
};

const experimental: ValueCodec<'experimental'> = {
  type: PtTlsType.EXPERIMENTAL,
  decode: (r) => ({ data: r.rest() }),
  encode: (w, v) => void w.bytes(v.data),
};

const codecs: { [K in Kind]: ValueCodec<K> } = {
  experimental,
  versionRequest,
  versionResponse,
  saslMechanisms,
  saslMechanismSelection,
  saslAuthenticationData,
  saslResult,
  pbTncBatch,
  error,
};

/** Registered by (vendor, type): all PT-TLS types are IETF's. */
const byType = new Map<string, Kind>(
  (Object.keys(codecs) as Kind[]).map((k) => [`${VENDOR.IETF}/${codecs[k].type}`, k]),
);

/** Reads and checks a header; `maxLength` bounds the message length before anything is buffered. */
export function decodePtTlsHeader(r: Reader, maxLength = PT_TLS_MAX_MESSAGE_LEN): PtTlsHeader {
  r.skip(1, 'PT-TLS reserved'); // RFC 6876 3.5: reserved, ignored on receipt
  const vendor = r.u24('PT-TLS message type vendor ID');
  const typeAt = r.offset;
  const type = r.u32('PT-TLS message type');
  if (type === PT_TLS_RESERVED_TYPE)
    throw new DecodeError('reserved', 'PT-TLS message type', typeAt, 'reserved type 0xffffffff');
  const lengthAt = r.offset;
  const length = r.u32('PT-TLS message length');
  // RFC 6876 3.5: the length includes the 16-byte header
  if (length < PT_TLS_HEADER_LEN)
    throw new DecodeError('invalid', 'PT-TLS message length', lengthAt, `length ${length} below the header size`);
  if (length > maxLength)
    throw new DecodeError(
      'limit',
      'PT-TLS message length',
      lengthAt,
      `length ${length} exceeds the limit of ${maxLength}`,
    );
  const id = r.u32('PT-TLS message identifier');
  return { vendor, type, length, id };
}

export interface DecodePtTlsOptions {
  /** Absolute offset of the message's first byte (e.g. its position in the TLS stream). */
  base?: number;
  maxMessageSize?: number;
}

/** Decodes exactly one whole message (as cut by PtTlsFramer). */
export function decodePtTlsMessage(data: Buffer, opts: DecodePtTlsOptions = {}): PtTlsMessage {
  const r = new Reader(data, opts.base ?? 0);
  const h = decodePtTlsHeader(r, opts.maxMessageSize);
  const v = r.sub(h.length - PT_TLS_HEADER_LEN, 'PT-TLS message value');
  r.end('PT-TLS message');
  const kind = byType.get(`${h.vendor}/${h.type}`);
  if (!kind) return { id: h.id, value: { kind: 'unknown', vendor: h.vendor, type: h.type, data: v.rest() } };
  const value = { kind, ...codecs[kind].decode(v) } as PtTlsValue;
  v.end(`PT-TLS ${kind} value`);
  return { id: h.id, value };
}

export function messageVendorType(v: PtTlsValue): { vendor: number; type: number } {
  return v.kind === 'unknown' ? { vendor: v.vendor, type: v.type } : { vendor: VENDOR.IETF, type: codecs[v.kind].type };
}

export function encodePtTlsMessage(m: PtTlsMessage): Buffer {
  const { vendor, type } = messageVendorType(m.value);
  // sized for a PB-TNC batch it carries (up to 2 MB: no growing copies)
  const w = new Writer(PT_TLS_HEADER_LEN + 64 + (m.value.kind === 'pbTncBatch' ? m.value.batch.length : 0));
  w.u8(0).u24(vendor).u32(type).u32(0).u32(m.id);
  if (m.value.kind === 'unknown') w.bytes(m.value.data);
  else (codecs[m.value.kind] as ValueCodec<Kind>).encode(w, m.value as ValueOf<Kind>);
  return w.patchU32(8, w.length).finish();
}

/**
 * The message as the buffers to write in order: for a PB-TNC batch (up to 2 MB) the 16-byte header
 * and then the caller's batch itself, not copied; any other message in one buffer.
 */
export function encodePtTlsMessageParts(m: PtTlsMessage): Buffer[] {
  if (m.value.kind !== 'pbTncBatch') return [encodePtTlsMessage(m)];
  const { vendor, type } = messageVendorType(m.value);
  // RFC 6876 3.5: the message length includes the header
  const header = new Writer(PT_TLS_HEADER_LEN)
    .u8(0)
    .u24(vendor)
    .u32(type)
    .u32(PT_TLS_HEADER_LEN + m.value.batch.length)
    .u32(m.id)
    .finish();
  return [header, m.value.batch];
}
