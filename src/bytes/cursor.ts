import { DecodeError } from './errors';

/**
 * Bounds-checked big-endian reader over untrusted bytes. Never allocates by a length it
 * reads: `bytes()` returns a view after checking the length against what is really there.
 * `base` is the absolute offset of byte 0 of `buf`, so errors name positions in the
 * outermost buffer even from nested readers.
 */
export class Reader {
  private pos = 0;

  constructor(
    readonly buf: Buffer,
    readonly base = 0,
  ) {}

  static of(data: Uint8Array, base = 0): Reader {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return new Reader(buf, base);
  }

  /** Absolute offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Offset relative to the start of this reader. */
  get position(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number, what: string): void {
    if (n > this.buf.length - this.pos) {
      throw new DecodeError('truncated', what, this.offset, `needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(what: string): number {
    this.need(3, what);
    const v = this.buf.readUIntBE(this.pos, 3);
    this.pos += 3;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what: string): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A view of everything left. */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }

  /** A reader bounded to the next n bytes; this reader moves past them. */
  sub(n: number, what: string): Reader {
    const start = this.offset;
    if (n > this.remaining) {
      throw new DecodeError('overrun', what, start, `length ${n} exceeds the ${this.remaining} bytes left`);
    }
    return new Reader(this.bytes(n, what), start);
  }

  /** u8/u16/u32 length-prefixed byte string. */
  lengthPrefixed(width: 1 | 2 | 4, what: string): Buffer {
    const at = this.offset;
    const n = width === 1 ? this.u8(what) : width === 2 ? this.u16(what) : this.u32(what);
    if (n > this.remaining) {
      throw new DecodeError('overrun', what, at, `length ${n} exceeds the ${this.remaining} bytes left`);
    }
    return this.bytes(n, what);
  }

  utf8(n: number, what: string): string {
    return this.bytes(n, what).toString('utf8');
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /** Throws unless every byte was consumed. */
  end(what: string): void {
    if (!this.atEnd) {
      throw new DecodeError('trailing', what, this.offset, `${this.remaining} unexpected trailing bytes`);
    }
  }
}

/** A value that does not fit its field is a bug to report, never a value to mask (70000 as u16 is not 4464). */
function fits(v: number, max: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${v} does not fit a ${field} field (0..${max})`);
}

/** Growable big-endian writer. */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    fits(v, 0xff, 'u8');
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    fits(v, 0xffff, 'u16');
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    fits(v, 0xffffff, 'u24');
    this.ensure(3);
    this.buf.writeUIntBE(v, this.pos, 3);
    this.pos += 3;
    return this;
  }

  u32(v: number): this {
    fits(v, 0xffffffff, 'u32');
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** One byte per character (ISO 8859-1), written in place: for fixed-width ASCII fields. */
  latin1(s: string): this {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
    return this;
  }

  utf8(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }

  /** u8/u16/u32 length prefix followed by the bytes. */
  lengthPrefixed(width: 1 | 2 | 4, b: Uint8Array): this {
    const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
    if (b.length > max) throw new RangeError(`value of ${b.length} bytes does not fit a ${width}-byte length`);
    if (width === 1) this.u8(b.length);
    else if (width === 2) this.u16(b.length);
    else this.u32(b.length);
    return this.bytes(b);
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Overwrites a u32 already written at `at` (for length fields known only at the end). */
  patchU32(at: number, v: number): this {
    fits(v, 0xffffffff, 'u32');
    this.buf.writeUInt32BE(v, at);
    return this;
  }

  /** Empties the writer and keeps its buffer: a scratch writer allocates nothing once it has grown. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
