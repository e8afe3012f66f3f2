import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../../src/tnccs/outbox';
import type { PaEnvelope } from '../../src/tnccs/types';
import { PA_SUBTYPE } from '../../src/protocol/vendors';

const env = (n: number, tag = 0): PaEnvelope => ({
  type: PA_SUBTYPE.PTS,
  collectorId: 1,
  validatorId: 1,
  exclusive: false,
  body: Buffer.alloc(n, tag),
});

test('messages queued with pushLater are made only when a batch takes them, in order behind and before others', () => {
  const out = new Outbox();
  const made: number[] = [];
  function* lazily(): Generator<PaEnvelope> {
    for (let i = 1; i <= 4; i++) {
      made.push(i);
      yield env(100, i);
    }
  }
  out.push(7, env(100, 0));
  out.pushLater(7, lazily());
  out.push(7, env(100, 9));
  assert.deepEqual(made, [1], 'one held ready, so pending() is exact');
  assert.equal(out.pending(7), 3);
  // 2 × (24 + 100) = 248: the plain message and the first lazy one
  assert.deepEqual(
    out.take(7, 250).map((e) => e.body[0]),
    [0, 1],
  );
  assert.deepEqual(made, [1, 2]);
  assert.deepEqual(
    out.take(7, 250).map((e) => e.body[0]),
    [2, 3],
  );
  assert.deepEqual(
    out.take(7).map((e) => e.body[0]),
    [4, 9],
    'the message queued after them waits until they are all sent',
  );
  assert.equal(out.pending(7), 0);
});

test('an empty lazy source queues nothing; drop ends a source that is not finished', () => {
  const out = new Outbox();
  out.pushLater(3, [][Symbol.iterator]());
  assert.equal(out.pending(3), 0);
  let ended = false;
  function* endless(): Generator<PaEnvelope> {
    try {
      while (true) yield env(10);
    } finally {
      ended = true;
    }
  }
  out.pushLater(3, endless());
  assert.equal(out.take(3, 100).length, 2);
  out.drop(3);
  assert.ok(ended, 'the source was closed (its file handle with it)');
  assert.equal(out.pending(3), 0);
});
