import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CODECS } from '../../../src/protocol/codecs';
import { decodeBatch } from '../../../src/protocol/pb-tnc';
import type { FuzzTarget } from '../harness';

const VECTORS = join(__dirname, '..', '..', 'data', 'vectors');
const seeds = [VECTORS, join(VECTORS, 'profile-B')].flatMap((dir) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.bin'))
    .map((n) => readFileSync(join(dir, n))),
);

export const targets: FuzzTarget[] = [
  { name: 'pb-tnc batch', decode: (b) => decodeBatch(b, ALL_CODECS.pb), seeds },
  {
    name: 'pb-tnc batch (server receiving)',
    decode: (b) => decodeBatch(b, ALL_CODECS.pb, { sender: 'client' }),
    seeds,
  },
];
