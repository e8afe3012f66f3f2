import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePtTlsMessage,
  decodeSaslPlain,
  encodePtTlsMessage,
  encodeSaslPlain,
  PtTlsFramer,
  SaslResult,
} from '../../../src/protocol/pt-tls';
import type { FuzzTarget } from '../harness';

const vectors = join(__dirname, '..', '..', 'data', 'vectors', 'pt-tls');
const small = readdirSync(vectors)
  .sort()
  .map((f) => readFileSync(join(vectors, f)))
  .filter((b) => b.length < 4096);
const seeds = [
  ...small,
  encodePtTlsMessage({ id: 3, value: { kind: 'saslMechanisms', mechanisms: ['PLAIN', 'EXTERNAL'] } }),
  encodePtTlsMessage({
    id: 4,
    value: { kind: 'saslMechanismSelection', mechanism: 'PLAIN', initialResponse: Buffer.from('\0u\0p') },
  }),
  encodePtTlsMessage({ id: 5, value: { kind: 'saslResult', result: SaslResult.FAILURE, data: Buffer.from('x') } }),
  encodePtTlsMessage({ id: 6, value: { kind: 'error', errorVendor: 0, errorCode: 2, offending: small[0] } }),
];

export const targets: FuzzTarget[] = [
  { name: 'pt-tls message', decode: (b) => decodePtTlsMessage(b, { maxMessageSize: 4096 }), seeds },
  {
    name: 'pt-tls framer',
    // the input as a stream cut in three pieces, every completed message decoded
    decode(b) {
      const f = new PtTlsFramer(4096);
      const a = b.length >> 2;
      const c = (b.length * 3) >> 2;
      for (const piece of [b.subarray(0, a), b.subarray(a, c), b.subarray(c)]) {
        for (const m of f.push(piece)) decodePtTlsMessage(m.bytes, { base: m.offset });
      }
      return f.pending;
    },
    seeds: [Buffer.concat(seeds.slice(0, 4)), Buffer.concat(seeds.slice(3))],
  },
  {
    name: 'sasl plain',
    decode: (b) => decodeSaslPlain(b),
    seeds: [encodeSaslPlain({ authzid: '', authcid: 'alice', password: 'pw' }), Buffer.from('a\0b\0c')],
  },
];
