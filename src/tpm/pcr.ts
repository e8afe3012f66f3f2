import { createHash } from 'node:crypto';
import { Reader, Writer } from '../bytes/cursor';
import { DecodeError } from '../bytes/errors';
import { HASHES, hashName } from './constants';

/** One TPMS_PCR_SELECTION: a bank (hash algorithm) and the PCR indices selected in it, ascending. */
export interface PcrSelection {
  hash: number;
  pcrs: number[];
}

/** PCR values by bank hash algorithm, then PCR index. */
export type PcrValues = Map<number, Map<number, Buffer>>;

// TPM 2.0 Part 2 10.9.7: TPML_PCR_SELECTION holds at most HASH_COUNT entries (tpm2-tss: 16).
const MAX_BANKS = 16;
// tpm2-tss TPM2_PCR_SELECT_MAX: 4 bytes of bitmap (32 PCRs).
const MAX_SELECT = 4;
// TPM 2.0 Part 2 10.6.1: PCR_SELECT_MIN is 3 bytes (PCR 0-23) in a command.
const MIN_SELECT = 3;
// TPM 2.0 Part 2 10.9.2: TPML_DIGEST holds at most 8 digests.
const MAX_DIGESTS = 8;

function readCount(r: Reader, max: number, what: string): number {
  const at = r.offset;
  const n = r.u32(what);
  if (n > max) throw new DecodeError('limit', what, at, `count ${n} exceeds ${max}`);
  return n;
}

export function readPcrSelectionList(r: Reader): PcrSelection[] {
  const count = readCount(r, MAX_BANKS, 'TPML_PCR_SELECTION count');
  const out: PcrSelection[] = [];
  for (let i = 0; i < count; i++) {
    const hash = r.u16('TPMS_PCR_SELECTION hash');
    const at = r.offset;
    const size = r.u8('TPMS_PCR_SELECTION sizeofSelect');
    if (size > MAX_SELECT)
      throw new DecodeError('limit', 'TPMS_PCR_SELECTION sizeofSelect', at, `${size} bytes exceeds ${MAX_SELECT}`);
    const bitmap = r.bytes(size, 'TPMS_PCR_SELECTION pcrSelect');
    const pcrs: number[] = [];
    // TPM 2.0 Part 2 10.6.1: bit n of byte n/8 (least significant bit first) selects PCR n.
    for (let p = 0; p < size * 8; p++) if (bitmap[p >> 3] & (1 << (p & 7))) pcrs.push(p);
    out.push({ hash, pcrs });
  }
  return out;
}

export function writePcrSelectionList(w: Writer, list: readonly PcrSelection[]): Writer {
  w.u32(list.length);
  for (const s of list) {
    const top = s.pcrs.reduce((m, p) => Math.max(m, p), -1);
    const size = Math.max(MIN_SELECT, (top >> 3) + 1);
    if (size > MAX_SELECT || s.pcrs.some((p) => p < 0 || !Number.isInteger(p)))
      throw new RangeError(`PCR index out of range in ${s.pcrs.join(',')}`);
    const bitmap = Buffer.alloc(size);
    for (const p of s.pcrs) bitmap[p >> 3] |= 1 << (p & 7);
    w.u16(s.hash).u8(size).bytes(bitmap);
  }
  return w;
}

export function decodePcrSelectionList(data: Buffer): PcrSelection[] {
  const r = Reader.of(data);
  const list = readPcrSelectionList(r);
  r.end('TPML_PCR_SELECTION');
  return list;
}

export function encodePcrSelectionList(list: readonly PcrSelection[]): Buffer {
  return writePcrSelectionList(new Writer(64), list).finish();
}

/** TPML_DIGEST (TPM 2.0 Part 2 10.9.2), as TPM2_PCR_Read returns it. */
export function decodeDigestList(data: Buffer): Buffer[] {
  const r = Reader.of(data);
  const count = readCount(r, MAX_DIGESTS, 'TPML_DIGEST count');
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(r.lengthPrefixed(2, 'TPML_DIGEST digest'));
  r.end('TPML_DIGEST');
  return out;
}

/** TPML_DIGEST_VALUES (TPM 2.0 Part 2 10.9.6): TPMT_HA entries for TPM2_PCR_Extend. */
export function encodeDigestValues(digests: readonly { hash: number; digest: Buffer }[]): Buffer {
  const w = new Writer(128).u32(digests.length);
  for (const d of digests) {
    if (HASHES.get(d.hash)?.size !== d.digest.length)
      throw new RangeError(`a ${hashName(d.hash)} digest cannot be ${d.digest.length} bytes`);
    w.u16(d.hash).bytes(d.digest);
  }
  return w.finish();
}

/** Flattens a selection into (bank, index) pairs in the order TPM2_Quote hashes them. */
export function selectionOrder(list: readonly PcrSelection[]): { hash: number; index: number }[] {
  return list.flatMap((s) => s.pcrs.map((index) => ({ hash: s.hash, index })));
}

/**
 * TPM 2.0 Part 3 18.4 (TPM2_Quote): pcrDigest = H(PCR values concatenated in selection order),
 * H the hash of the signing scheme. Returns undefined when a selected PCR has no value given.
 */
export function pcrDigest(list: readonly PcrSelection[], values: PcrValues, hash: string): Buffer | undefined {
  const h = createHash(hash);
  for (const { hash: bank, index } of selectionOrder(list)) {
    const v = values.get(bank)?.get(index);
    if (!v) return undefined;
    h.update(v);
  }
  return h.digest();
}
