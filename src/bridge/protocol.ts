import { Reader, Writer } from '../bytes/cursor';
import { DecodeError } from '../bytes/errors';
import type { PaMessageType } from '../protocol/vendors';

/**
 * The IF-IMC bridge protocol between native/ifimc (the library a TNC client loads) and the daemon
 * (docs/vpn.md has the full table). A frame is [u32 length][u8 type][payload], big-endian, length
 * counting the type byte and the payload. The library sends one request and reads SEND frames
 * until DONE (or WELCOME after HELLO); nothing else is ever in flight on a socket.
 */
export const BRIDGE_VERSION = 1;
/** Largest frame either side accepts (a 16 MiB PA-TNC message plus its fields); native/ifimc/wire.h agrees. */
export const MAX_FRAME = (16 << 20) + 64;

export const FRAME = {
  HELLO: 0x01,
  NOTIFY: 0x02,
  BEGIN: 0x03,
  RECEIVE: 0x04,
  BATCH_ENDING: 0x05,
  TERMINATE: 0x06,
  /** The library's second socket: the daemon sends RETRY on it whenever it wants a handshake retry. */
  WATCH: 0x07,
  WELCOME: 0x81,
  SEND: 0x82,
  DONE: 0x83,
  /** On a WATCH socket, at any time: ask the TNC client for a handshake retry (IF-IMC RequestHandshakeRetry). */
  RETRY: 0x84,
} as const;

/** IF-IMC 1.3 TNC_RETRY_REASON_IMC_* */
export const RETRY_REASON = { REMEDIATION_COMPLETE: 0, SERIOUS_EVENT: 1, INFORMATIONAL_EVENT: 2, PERIODIC: 3 } as const;

/** IF-IMC 1.3 result codes the daemon answers with. */
export const TNC_RESULT = {
  SUCCESS: 0,
  ALREADY_INITIALIZED: 2,
  NO_COMMON_VERSION: 3,
  INVALID_PARAMETER: 6,
  OTHER: 9,
  FATAL: 10,
} as const;
/** IF-IMC 1.3 TNC_MESSAGE_FLAGS_EXCLUSIVE */
export const FLAG_EXCLUSIVE = 0x80000000;

export type BridgeRequest =
  | { kind: 'hello'; version: number; imcId: number; name: string }
  /** IF-IMC connection state 0..5; the attributes are read from the TNCC on CREATE only (else 0 / ''). */
  | {
      kind: 'notify';
      connectionId: number;
      state: number;
      maxMessageSize: number;
      language: string;
      iftProtocol: string;
    }
  | { kind: 'begin'; connectionId: number }
  | {
      kind: 'receive';
      connectionId: number;
      flags: number;
      type: PaMessageType;
      sourceImvId: number;
      destinationImcId: number;
      body: Buffer;
    }
  | { kind: 'batchEnding'; connectionId: number }
  | { kind: 'terminate' }
  | { kind: 'watch'; version: number; imcId: number; name: string };

export type BridgeReply =
  | { kind: 'welcome'; version: number; subscriptions: PaMessageType[] }
  | { kind: 'send'; connectionId: number; flags: number; type: PaMessageType; destinationImvId: number; body: Buffer }
  | { kind: 'done'; result: number }
  | { kind: 'retry'; connectionId: number; reason: number };

/** IF-IMC 1.3: vendor IDs are 24 bits; 0xffffff is the "any" wildcard, never a real vendor. */
const MAX_VENDOR = 0xfffffe;

function frame(type: number, w: Writer): Buffer {
  const payload = w.finish();
  if (payload.length + 1 > MAX_FRAME)
    throw new RangeError(`bridge frame of ${payload.length + 1} bytes exceeds ${MAX_FRAME}`);
  return new Writer(payload.length + 5)
    .u32(payload.length + 1)
    .u8(type)
    .bytes(payload)
    .finish();
}

const str = (w: Writer, s: string): Writer => w.lengthPrefixed(2, Buffer.from(s, 'utf8'));

export function encodeRequest(r: BridgeRequest): Buffer {
  const w = new Writer();
  switch (r.kind) {
    case 'hello':
      return frame(FRAME.HELLO, str(w.u16(r.version).u32(r.imcId), r.name));
    case 'notify':
      return frame(
        FRAME.NOTIFY,
        str(str(w.u32(r.connectionId).u8(r.state).u32(r.maxMessageSize), r.language), r.iftProtocol),
      );
    case 'begin':
      return frame(FRAME.BEGIN, w.u32(r.connectionId));
    case 'receive':
      return frame(
        FRAME.RECEIVE,
        w
          .u32(r.connectionId)
          .u32(r.flags)
          .u32(r.type.vendor)
          .u32(r.type.subtype)
          .u32(r.sourceImvId)
          .u32(r.destinationImcId)
          .bytes(r.body),
      );
    case 'batchEnding':
      return frame(FRAME.BATCH_ENDING, w.u32(r.connectionId));
    case 'terminate':
      return frame(FRAME.TERMINATE, w);
    case 'watch':
      return frame(FRAME.WATCH, str(w.u16(r.version).u32(r.imcId), r.name));
  }
}

export function encodeReply(r: BridgeReply): Buffer {
  const w = new Writer();
  switch (r.kind) {
    case 'welcome':
      w.u16(r.version).u16(r.subscriptions.length);
      for (const t of r.subscriptions) w.u32(t.vendor).u32(t.subtype);
      return frame(FRAME.WELCOME, w);
    case 'send':
      return frame(
        FRAME.SEND,
        w.u32(r.connectionId).u32(r.flags).u32(r.type.vendor).u32(r.type.subtype).u32(r.destinationImvId).bytes(r.body),
      );
    case 'done':
      return frame(FRAME.DONE, w.u32(r.result));
    case 'retry':
      return frame(FRAME.RETRY, w.u32(r.connectionId).u32(r.reason));
  }
}

function vendor(r: Reader, what: string): number {
  const at = r.offset;
  const v = r.u32(what);
  if (v > MAX_VENDOR) throw new DecodeError('invalid', what, at, `vendor ID ${v} is not a 24-bit vendor`);
  return v;
}

const text = (r: Reader, what: string): string => r.lengthPrefixed(2, what).toString('utf8');

/** Decodes one whole frame (as FrameSplitter yields it: type byte + payload, `base` its stream offset). */
export function decodeRequest(f: Buffer, base = 0): BridgeRequest {
  const r = Reader.of(f, base);
  const type = r.u8('bridge frame type');
  const req = requestBody(type, r, base);
  r.end('bridge request');
  return req;
}

function requestBody(type: number, r: Reader, base: number): BridgeRequest {
  switch (type) {
    case FRAME.HELLO:
      return {
        kind: 'hello',
        version: r.u16('HELLO version'),
        imcId: r.u32('HELLO IMC ID'),
        name: text(r, 'HELLO IMC name'),
      };
    case FRAME.NOTIFY: {
      const connectionId = r.u32('NOTIFY connection ID');
      const at = r.offset;
      const state = r.u8('NOTIFY state');
      // IF-IMC 1.3: connection states CREATE (0) .. DELETE (5)
      if (state > 5) throw new DecodeError('invalid', 'NOTIFY state', at, `unknown connection state ${state}`);
      return {
        kind: 'notify',
        connectionId,
        state,
        maxMessageSize: r.u32('NOTIFY max message size'),
        language: text(r, 'NOTIFY language'),
        iftProtocol: text(r, 'NOTIFY IF-T protocol'),
      };
    }
    case FRAME.BEGIN:
      return { kind: 'begin', connectionId: r.u32('BEGIN connection ID') };
    case FRAME.RECEIVE:
      return {
        kind: 'receive',
        connectionId: r.u32('RECEIVE connection ID'),
        flags: r.u32('RECEIVE flags'),
        type: { vendor: vendor(r, 'RECEIVE vendor ID'), subtype: r.u32('RECEIVE subtype') },
        sourceImvId: r.u32('RECEIVE source IMV ID'),
        destinationImcId: r.u32('RECEIVE destination IMC ID'),
        body: r.rest(),
      };
    case FRAME.BATCH_ENDING:
      return { kind: 'batchEnding', connectionId: r.u32('BATCH_ENDING connection ID') };
    case FRAME.TERMINATE:
      return { kind: 'terminate' };
    case FRAME.WATCH:
      return {
        kind: 'watch',
        version: r.u16('WATCH version'),
        imcId: r.u32('WATCH IMC ID'),
        name: text(r, 'WATCH IMC name'),
      };
    default:
      throw new DecodeError('invalid', 'bridge frame type', base, `unknown request type ${type}`);
  }
}

export function decodeReply(f: Buffer, base = 0): BridgeReply {
  const r = Reader.of(f, base);
  const type = r.u8('bridge frame type');
  let reply: BridgeReply;
  if (type === FRAME.WELCOME) {
    const version = r.u16('WELCOME version');
    const count = r.u16('WELCOME type count');
    const subscriptions: PaMessageType[] = [];
    for (let i = 0; i < count; i++)
      subscriptions.push({ vendor: vendor(r, 'WELCOME vendor ID'), subtype: r.u32('WELCOME subtype') });
    reply = { kind: 'welcome', version, subscriptions };
  } else if (type === FRAME.SEND) {
    reply = {
      kind: 'send',
      connectionId: r.u32('SEND connection ID'),
      flags: r.u32('SEND flags'),
      type: { vendor: vendor(r, 'SEND vendor ID'), subtype: r.u32('SEND subtype') },
      destinationImvId: r.u32('SEND destination IMV ID'),
      body: r.rest(),
    };
  } else if (type === FRAME.DONE) {
    reply = { kind: 'done', result: r.u32('DONE result') };
  } else if (type === FRAME.RETRY) {
    reply = { kind: 'retry', connectionId: r.u32('RETRY connection ID'), reason: r.u32('RETRY reason') };
  } else {
    throw new DecodeError('invalid', 'bridge frame type', base, `unknown reply type ${type}`);
  }
  r.end('bridge reply');
  return reply;
}

/**
 * Cuts a byte stream into frames (type byte + payload). Rejects a length outside [1, MAX_FRAME]
 * as soon as its 4 bytes arrive, so nothing is ever buffered on the word of an untrusted length.
 */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Stream offset of pending[0]. */
  private consumed = 0;

  /** The frames completed by this chunk, each with its stream offset (after the length field). */
  push(chunk: Buffer): { frame: Buffer; offset: number }[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: { frame: Buffer; offset: number }[] = [];
    for (;;) {
      if (this.pending.length < 4) return out;
      const len = this.pending.readUInt32BE(0);
      if (len < 1 || len > MAX_FRAME)
        throw new DecodeError('limit', 'bridge frame length', this.consumed, `length ${len} outside 1..${MAX_FRAME}`);
      if (this.pending.length < 4 + len) return out;
      out.push({ frame: this.pending.subarray(4, 4 + len), offset: this.consumed + 4 });
      this.pending = this.pending.subarray(4 + len);
      this.consumed += 4 + len;
    }
  }
}
