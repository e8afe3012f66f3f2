import { Reader, Writer } from '../../bytes/cursor';
import { DecodeError } from '../../bytes/errors';

/**
 * The Type-Data header of EAP-TTLS (RFC 5281 9.1: flags L M S, 2 reserved bits, 3-bit version;
 * a 4-byte TLS Message Length when L) and of PT-EAP (RFC 7171 4.1: flag S in the top bit, the rest
 * reserved, 3-bit version; no length and no fragmentation of its own: the tunnel fragments).
 */
export type TlsMethod = 'ttls' | 'pt-eap';

const TTLS_L = 0x80;
const TTLS_M = 0x40;
const TTLS_S = 0x20;
const PT_S = 0x80;
const VERSION = 0x07;
/** RFC 5281 9.2.1: EAP-TTLS version 0; RFC 7171 4.1: PT-EAP version 1. */
export const TTLS_VERSION = 0;
export const PT_EAP_VERSION = 1;

export interface TlsMethodData {
  readonly start: boolean;
  readonly more: boolean;
  readonly version: number;
  /** TTLS L flag: the total length of the TLS message this fragment starts. */
  readonly messageLength?: number;
  readonly data: Buffer;
}

export function decodeTlsMethodData(typeData: Buffer, method: TlsMethod, base = 0): TlsMethodData {
  const r = Reader.of(typeData, base);
  const flags = r.u8(`${method} flags`);
  const version = flags & VERSION;
  if (method === 'pt-eap') return { start: !!(flags & PT_S), more: false, version, data: r.rest() };
  const messageLength = flags & TTLS_L ? r.u32('EAP-TTLS TLS Message Length') : undefined;
  return { start: !!(flags & TTLS_S), more: !!(flags & TTLS_M), version, messageLength, data: r.rest() };
}

export function encodeTlsMethodData(d: TlsMethodData, method: TlsMethod): Buffer {
  const w = new Writer(5 + d.data.length);
  if (method === 'pt-eap') {
    if (d.more || d.messageLength !== undefined) throw new RangeError('PT-EAP has no L or M flag');
    return w
      .u8((d.start ? PT_S : 0) | (d.version & VERSION))
      .bytes(d.data)
      .finish();
  }
  const flags =
    (d.messageLength !== undefined ? TTLS_L : 0) |
    (d.more ? TTLS_M : 0) |
    (d.start ? TTLS_S : 0) |
    (d.version & VERSION);
  w.u8(flags);
  if (d.messageLength !== undefined) w.u32(d.messageLength);
  return w.bytes(d.data).finish();
}

/**
 * Reassembles one TLS message from EAP-TTLS fragments (RFC 5281 9.2.2) within `max` bytes: a
 * declared length above the limit, more data than declared, or fragments past the limit are errors,
 * so an endless fragment stream ends instead of growing.
 */
export class FragmentAssembler {
  private parts: Buffer[] = [];
  private size = 0;
  private declared?: number;

  constructor(private readonly max: number) {}

  get inProgress(): boolean {
    return this.parts.length > 0;
  }

  /** Adds a fragment; returns the whole message after the last fragment, else undefined. */
  push(f: TlsMethodData, base = 0): Buffer | undefined {
    if (f.messageLength !== undefined && this.parts.length === 0) {
      if (f.messageLength > this.max)
        throw new DecodeError('limit', 'EAP-TTLS TLS Message Length', base, `${f.messageLength} exceeds ${this.max}`);
      this.declared = f.messageLength;
    }
    this.size += f.data.length;
    const limit = this.declared ?? this.max;
    if (this.size > limit) {
      this.reset();
      throw new DecodeError('limit', 'EAP-TTLS fragments', base, `more than ${limit} bytes of TLS data in one message`);
    }
    this.parts.push(f.data);
    if (f.more) return undefined;
    const whole = Buffer.concat(this.parts);
    const declared = this.declared;
    this.reset();
    if (declared !== undefined && whole.length !== declared)
      throw new DecodeError(
        'invalid',
        'EAP-TTLS TLS Message Length',
        base,
        `declared ${declared}, received ${whole.length}`,
      );
    return whole;
  }

  reset(): void {
    this.parts = [];
    this.size = 0;
    this.declared = undefined;
  }
}

/** Splits a TLS message into EAP-TTLS fragments of at most `size` bytes of data; L on the first when there are several. */
export function fragmentTlsMessage(msg: Buffer, size: number): TlsMethodData[] {
  if (msg.length <= size) return [{ start: false, more: false, version: TTLS_VERSION, data: msg }];
  const out: TlsMethodData[] = [];
  for (let at = 0; at < msg.length; at += size) {
    const last = at + size >= msg.length;
    out.push({
      start: false,
      more: !last,
      version: TTLS_VERSION,
      messageLength: at === 0 ? msg.length : undefined,
      data: msg.subarray(at, at + size),
    });
  }
  return out;
}
