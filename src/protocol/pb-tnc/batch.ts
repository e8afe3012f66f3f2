import { Reader, Writer } from '../../bytes/cursor';
import { PB_ERROR, PbTncError } from './errors';
import { decodePbMessage, encodePbMessage } from './message';
import type { PbCodecs, PbMessage } from './registry';

// RFC 5793 4.1: batch header = version(1) D+reserved(3, type in the low 4 bits) length(4)
export const PB_TNC_VERSION = 2;
export const PB_BATCH_HEADER_LEN = 8;
const D_FLAG = 0x80;

/** RFC 5793 4.1: batch types. */
export const PB_BATCH = { CDATA: 1, SDATA: 2, RESULT: 3, CRETRY: 4, SRETRY: 5, CLOSE: 6 } as const;
export type PbBatchType = (typeof PB_BATCH)[keyof typeof PB_BATCH];

const batchNames = ['', 'CDATA', 'SDATA', 'RESULT', 'CRETRY', 'SRETRY', 'CLOSE'];

/** 'CDATA', 'SDATA', ... as strongSwan logs them. */
export function batchTypeName(t: number): string {
  return batchNames[t] || `type-${t}`;
}

export type PbRole = 'client' | 'server';

// RFC 5793 4.1: which side may send which batch type (CLOSE: either)
const allowedFrom: Record<PbRole, readonly number[]> = {
  client: [PB_BATCH.CDATA, PB_BATCH.CRETRY, PB_BATCH.CLOSE],
  server: [PB_BATCH.SDATA, PB_BATCH.RESULT, PB_BATCH.SRETRY, PB_BATCH.CLOSE],
};

export interface PbBatch {
  readonly type: PbBatchType;
  /** The D (directionality) flag: true = sent by the PB-TNC server. */
  readonly fromServer: boolean;
  readonly messages: PbMessage[];
}

export interface DecodedPbBatch extends PbBatch {
  /** RESULT-only messages a client received outside RESULT: RFC 5793 says ignore them. */
  readonly ignored: PbMessage[];
}

export interface DecodeBatchOptions {
  /** Who sent the batch, when the receiver knows: enables the D flag, direction and RESULT-only checks. */
  sender?: PbRole;
  /**
   * Absolute offset of the batch's first byte, for error offsets in an enclosing buffer. Leave it 0
   * when answering a peer: PB-Error offsets count from the batch start (RFC 5793 4.9.1).
   */
  base?: number;
}

const invalid = (what: string, offset: number, detail: string): PbTncError =>
  new PbTncError(PB_ERROR.INVALID_PARAMETER, 'invalid', what, offset, detail);

/**
 * Decodes one whole PB-TNC batch (exactly the bytes the transport delivered) with the message
 * codecs given; a type not in them is unknown (skipped, or an error with NOSKIP). Throws a
 * DecodeError (a PbTncError where the answer is not Invalid Parameter); `pbErrorFor()` maps it
 * to the PB-Error to send.
 */
export function decodeBatch(data: Buffer, codecs: PbCodecs, opts: DecodeBatchOptions = {}): DecodedPbBatch {
  const base = opts.base ?? 0;
  const { type, fromServer } = decodeBatchHeader(data, base, opts.sender);
  const r = new Reader(data, base);
  r.skip(PB_BATCH_HEADER_LEN, 'PB-TNC batch header');
  const messages: PbMessage[] = [];
  const ignored: PbMessage[] = [];
  while (!r.atEnd) {
    const start = r.offset;
    const m = decodePbMessage(r, codecs);
    if (m.spec?.resultOnly && type !== PB_BATCH.RESULT && opts.sender) {
      // RFC 5793 4.6-4.8, 4.11: only in RESULT batches; a server rejects them, a client ignores them
      if (opts.sender === 'client')
        throw invalid(`${m.spec.name} message`, start, `not allowed in a ${batchTypeName(type)} batch`);
      ignored.push(m);
    } else messages.push(m);
  }
  return { type, fromServer, messages, ignored };
}

function decodeBatchHeader(data: Buffer, base: number, sender?: PbRole): { type: PbBatchType; fromServer: boolean } {
  if (data.length < PB_BATCH_HEADER_LEN)
    throw invalid('PB-TNC batch header', base, `${data.length} bytes, needs ${PB_BATCH_HEADER_LEN}`);
  const version = data[0];
  if (version !== PB_TNC_VERSION) {
    throw new PbTncError(
      PB_ERROR.VERSION_NOT_SUPPORTED,
      'version',
      'PB-TNC version',
      base,
      `version ${version} not supported`,
      version,
    );
  }
  const fromServer = (data[1] & D_FLAG) !== 0;
  // RFC 5793 4.1: D = 1 when the PB-TNC server sent the batch
  if (sender && fromServer !== (sender === 'server'))
    throw invalid('PB-TNC batch directionality', base + 1, `D flag ${fromServer ? 1 : 0} from a ${sender}`);
  const type = data[3] & 0x0f;
  if (type < PB_BATCH.CDATA || type > PB_BATCH.CLOSE)
    throw invalid('PB-TNC batch type', base + 3, `unknown batch type ${type}`);
  if (sender && !allowedFrom[sender].includes(type)) {
    throw new PbTncError(
      PB_ERROR.UNEXPECTED_BATCH_TYPE,
      'invalid',
      'PB-TNC batch type',
      base + 3,
      `${batchTypeName(type)} batch from a ${sender}`,
    );
  }
  const length = data.readUInt32BE(4);
  // RFC 5793 4.1: batch length includes the header and must equal the bytes received
  if (length !== data.length)
    throw invalid('PB-TNC batch length', base + 4, `batch length ${length}, ${data.length} bytes received`);
  return { type: type as PbBatchType, fromServer };
}

export function encodeBatch(b: PbBatch): Buffer {
  const w = new Writer(256);
  w.u8(PB_TNC_VERSION)
    .u8(b.fromServer ? D_FLAG : 0)
    .u8(0)
    .u8(b.type)
    .u32(0);
  for (const m of b.messages) encodePbMessage(w, m);
  return w.patchU32(4, w.length).finish();
}
