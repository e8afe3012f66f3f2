import { Reader } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';
import { bankById, KNOWN_BANKS } from '../algorithms';
import { lengthPrefixedLe, u16le, u32le } from '../le';
import { EV_NO_ACTION, eventTypeName } from './event-types';

/** One digest algorithm of the log, from the Spec ID event (or assumed from the TPM_ALG_ID table). */
export interface LogAlgorithm {
  id: number;
  /** Bank name (sha1, sha256, ...) or alg_0xNNNN for an algorithm this code does not know. */
  name: string;
  size: number;
}

export interface SpecIdEvent {
  platformClass: number;
  specVersion: string;
  errata: number;
  uintnSize: number;
  algorithms: LogAlgorithm[];
  vendorInfo: Buffer;
}

export interface LogEvent {
  /** Position of the record in the log, from 0. */
  index: number;
  /** Absolute byte offset of the record. */
  offset: number;
  pcr: number;
  type: number;
  typeName: string;
  /** Digest per bank name. */
  digests: Record<string, Buffer>;
  data: Buffer;
}

export type EventLogFormat = 'sha1-legacy' | 'crypto-agile' | 'crypto-agile-no-spec-id';

/**
 * A TCG firmware event log as parsed: nothing in it is trusted until its replay matches PCRs from
 * a verified quote (see verifyEventLog, which yields a VerifiedEventLog).
 */
export interface UntrustedEventLog {
  readonly format: EventLogFormat;
  readonly specId?: SpecIdEvent;
  /** Locality from the StartupLocality EV_NO_ACTION event, when the log has one. */
  readonly startupLocality?: number;
  /** Banks every EVENT2 record may carry: the Spec ID list, or sha1 for a legacy log. */
  readonly algorithms: LogAlgorithm[];
  readonly events: LogEvent[];
}

const SPEC_ID_SIGNATURE = 'Spec ID Event03\0';
const STARTUP_LOCALITY_SIGNATURE = 'StartupLocality\0';
/** More digests in one record than there are known TPM hash algorithms is not a real log. */
const MAX_DIGESTS_NO_SPEC_ID = KNOWN_BANKS.length;
const SHA1: LogAlgorithm = { id: 0x0004, name: 'sha1', size: 20 };

function algorithm(id: number, size: number): LogAlgorithm {
  return { id, name: bankById(id)?.name ?? `alg_0x${id.toString(16).padStart(4, '0')}`, size };
}

/** TCG_PCR_EVENT (PFP 10.2.1): SHA-1 digest only. */
function readLegacyEvent(r: Reader, index: number): LogEvent {
  const offset = r.offset;
  const pcr = u32le(r, 'TCG_PCR_EVENT pcrIndex');
  const type = u32le(r, 'TCG_PCR_EVENT eventType');
  const digest = r.bytes(20, 'TCG_PCR_EVENT digest');
  const data = lengthPrefixedLe(r, 'TCG_PCR_EVENT event');
  return { index, offset, pcr, type, typeName: eventTypeName(type), digests: { sha1: digest }, data };
}

/** TCG_PCR_EVENT2 (PFP 10.2.2): a TPML_DIGEST_VALUES with one digest per algorithm. */
function readEvent2(r: Reader, index: number, algs: ReadonlyMap<number, LogAlgorithm>, maxCount: number): LogEvent {
  const offset = r.offset;
  const pcr = u32le(r, 'TCG_PCR_EVENT2 pcrIndex');
  const type = u32le(r, 'TCG_PCR_EVENT2 eventType');
  const countAt = r.offset;
  const count = u32le(r, 'TCG_PCR_EVENT2 digests count');
  if (count > maxCount)
    throw new DecodeError(
      'invalid',
      'TCG_PCR_EVENT2 digests count',
      countAt,
      `${count} digests, the log has ${maxCount} algorithms`,
    );
  const digests: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) {
    const algAt = r.offset;
    const id = u16le(r, 'TCG_PCR_EVENT2 hashAlg');
    const alg = algs.get(id);
    if (!alg)
      throw new DecodeError(
        'invalid',
        'TCG_PCR_EVENT2 hashAlg',
        algAt,
        `unknown algorithm 0x${id.toString(16).padStart(4, '0')}`,
      );
    digests[alg.name] = r.bytes(alg.size, `TCG_PCR_EVENT2 ${alg.name} digest`);
  }
  const data = lengthPrefixedLe(r, 'TCG_PCR_EVENT2 event');
  return { index, offset, pcr, type, typeName: eventTypeName(type), digests, data };
}

/** TCG_EfiSpecIdEvent (PFP 10.4.5.1), the event data of the first, SHA-1-format record. */
function readSpecId(data: Buffer, base: number): SpecIdEvent {
  const r = new Reader(data, base);
  r.skip(16, 'Spec ID signature');
  const platformClass = u32le(r, 'Spec ID platformClass');
  const minor = r.u8('Spec ID specVersionMinor');
  const major = r.u8('Spec ID specVersionMajor');
  const errata = r.u8('Spec ID specErrata');
  const uintnSize = r.u8('Spec ID uintnSize');
  const nAt = r.offset;
  const n = u32le(r, 'Spec ID numberOfAlgorithms');
  if (n === 0 || n * 4 > r.remaining)
    throw new DecodeError('invalid', 'Spec ID numberOfAlgorithms', nAt, `${n} algorithms in ${r.remaining} bytes`);
  const algorithms: LogAlgorithm[] = [];
  for (let i = 0; i < n; i++) {
    const id = u16le(r, 'Spec ID algorithmId');
    algorithms.push(algorithm(id, u16le(r, 'Spec ID digestSize')));
  }
  const vendorInfo = r.bytes(r.u8('Spec ID vendorInfoSize'), 'Spec ID vendorInfo');
  r.end('Spec ID event');
  return { platformClass, specVersion: `${major}.${minor}`, errata, uintnSize, algorithms, vendorInfo };
}

function isSignature(e: LogEvent, signature: string): boolean {
  return e.type === EV_NO_ACTION && e.data.length >= 16 && e.data.toString('latin1', 0, 16) === signature;
}

/**
 * A crypto-agile log without the Spec ID header (strongSwan writes these): the first record is
 * EVENT2, so bytes 8..11 are a small digest count and 12..13 a known TPM_ALG_ID. In a legacy
 * record they are the start of a SHA-1 digest, which cannot look like that by chance in practice.
 */
function looksLikeEvent2(buf: Buffer): boolean {
  if (buf.length < 14) return false;
  const count = buf.readUInt32LE(8);
  return count >= 1 && count <= MAX_DIGESTS_NO_SPEC_ID && bankById(buf.readUInt16LE(12)) !== undefined;
}

function startupLocality(events: LogEvent[]): number | undefined {
  // PFP 10.4.5.3: StartupLocality event, EV_NO_ACTION on PCR 0, signature + one locality byte
  const e = events.find((ev) => ev.pcr === 0 && isSignature(ev, STARTUP_LOCALITY_SIGNATURE) && ev.data.length === 17);
  return e?.data[16];
}

function readAll(r: Reader, events: LogEvent[], read: (index: number) => LogEvent): void {
  while (!r.atEnd) events.push(read(events.length));
}

/** Parses a TCG PC Client firmware event log (binary_bios_measurements), any of the three layouts. */
export function decodeEventLog(buf: Buffer, base = 0): UntrustedEventLog {
  const r = new Reader(buf, base);
  if (buf.length === 0) throw new DecodeError('truncated', 'event log', base, 'empty log');
  const events: LogEvent[] = [];
  if (looksLikeEvent2(buf)) {
    const table = new Map(KNOWN_BANKS.map((b) => [b.id, algorithm(b.id, b.size)]));
    readAll(r, events, (i) => readEvent2(r, i, table, MAX_DIGESTS_NO_SPEC_ID));
    const seen = new Set(events.flatMap((e) => Object.keys(e.digests)));
    const algorithms = [...table.values()].filter((a) => seen.has(a.name));
    return { format: 'crypto-agile-no-spec-id', startupLocality: startupLocality(events), algorithms, events };
  }
  const first = readLegacyEvent(r, 0);
  events.push(first);
  if (!isSignature(first, SPEC_ID_SIGNATURE)) {
    readAll(r, events, (i) => readLegacyEvent(r, i));
    return { format: 'sha1-legacy', startupLocality: startupLocality(events), algorithms: [SHA1], events };
  }
  // PFP 10.4.5.1: the Spec ID event (SHA-1 format) lists the algorithms and sizes of every EVENT2 after it
  const specId = readSpecId(first.data, first.offset + 32);
  const table = new Map(specId.algorithms.map((a) => [a.id, a]));
  readAll(r, events, (i) => readEvent2(r, i, table, table.size));
  return {
    format: 'crypto-agile',
    specId,
    startupLocality: startupLocality(events),
    algorithms: specId.algorithms,
    events,
  };
}
