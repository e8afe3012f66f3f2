import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz } from './harness';
import { loadTargets } from './targets';

// A seeded, reproducible pass of 10,000 random and mutated inputs per decoder: any throw
// other than a DecodeError is a crash.
const ITERATIONS = 10_000;
const SEED = 0x5eed1234;

for (const target of loadTargets()) {
  test(`fuzz ${target.name}: ${ITERATIONS} inputs, no crash`, () => {
    const stats = fuzz(target, { iterations: ITERATIONS, seed: SEED });
    assert.equal(stats.inputs, ITERATIONS);
    assert.equal(stats.crashes, 0, `crashes:\n${stats.samples.map((c) => `${c.input}\n${c.error}`).join('\n')}`);
    assert.ok(stats.rejected > 0, 'the fuzzer never produced a rejected input: the decoder checks nothing?');
  });
}
