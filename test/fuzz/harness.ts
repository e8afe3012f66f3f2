import { isDecodeError } from '../../src/bytes/errors';

/**
 * A decoder under fuzz. `decode` must either return or throw a DecodeError; anything else
 * (TypeError, RangeError, a hang) is a crash. `seeds` are valid inputs to mutate.
 */
export interface FuzzTarget {
  name: string;
  decode(input: Buffer): unknown;
  seeds: Buffer[];
}

export interface FuzzStats {
  target: string;
  inputs: number;
  accepted: number;
  rejected: number;
  crashes: number;
  /** The first few crashing inputs (hex) with their errors, for reproduction. */
  samples: { input: string; error: string }[];
  seconds: number;
}

/** xorshift32: reproducible from the seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

const interesting = [0x00, 0x01, 0x7f, 0x80, 0xff];
const interesting32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 12, 16];

function randomBuffer(rng: Rng, max: number): Buffer {
  const b = Buffer.allocUnsafe(rng.below(max + 1));
  for (let i = 0; i < b.length; i++) b[i] = rng.next() & 0xff;
  return b;
}

/** One mutation step of the kind AFL's havoc does: flips, interesting values, cuts, splices. */
function mutate(rng: Rng, seed: Buffer, seeds: Buffer[]): Buffer {
  let b = Buffer.from(seed);
  const steps = 1 + rng.below(4);
  for (let s = 0; s < steps; s++) {
    if (b.length === 0) return randomBuffer(rng, 64);
    const at = rng.below(b.length);
    switch (rng.below(8)) {
      case 0:
        b[at] ^= 1 << rng.below(8);
        break;
      case 1:
        b[at] = interesting[rng.below(interesting.length)];
        break;
      case 2:
        if (at + 4 <= b.length) b.writeUInt32BE(interesting32[rng.below(interesting32.length)], at);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), randomBuffer(rng, 16), b.subarray(at)]);
        break;
      case 5: {
        const other = seeds[rng.below(seeds.length)];
        const from = rng.below(other.length + 1);
        b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + rng.below(64))]);
        break;
      }
      case 6:
        if (at + 2 <= b.length) b.writeUInt16BE(rng.next() & 0xffff, at);
        break;
      default:
        b[at] = rng.next() & 0xff;
    }
  }
  return b;
}

export interface FuzzOptions {
  iterations: number;
  seed: number;
  /** Stop early after this many seconds (0 = no limit). */
  seconds?: number;
}

export function fuzz(target: FuzzTarget, opts: FuzzOptions): FuzzStats {
  const rng = new Rng(opts.seed);
  const stats: FuzzStats = {
    target: target.name,
    inputs: 0,
    accepted: 0,
    rejected: 0,
    crashes: 0,
    samples: [],
    seconds: 0,
  };
  const t0 = process.hrtime.bigint();
  const deadline = opts.seconds ? t0 + BigInt(Math.round(opts.seconds * 1e9)) : 0n;
  const seeds = target.seeds.length > 0 ? target.seeds : [Buffer.alloc(0)];
  for (let i = 0; i < opts.iterations; i++) {
    if (deadline && (i & 1023) === 0 && process.hrtime.bigint() > deadline) break;
    const input = i % 4 === 0 ? randomBuffer(rng, 256) : mutate(rng, seeds[rng.below(seeds.length)], seeds);
    stats.inputs++;
    try {
      target.decode(input);
      stats.accepted++;
    } catch (e) {
      if (isDecodeError(e)) stats.rejected++;
      else {
        stats.crashes++;
        if (stats.samples.length < 5)
          stats.samples.push({ input: input.toString('hex'), error: String((e as Error)?.stack ?? e) });
      }
    }
  }
  stats.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return stats;
}
