import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/protocol';
import { encodeBatch, PB_BATCH, PbBatchType } from '../../src/protocol/pb-tnc/batch';
import { Logger } from '../../src/log';
import { ImcManager } from '../../src/tnccs-client/imc-manager';
import { HandshakeLimitError, runClientHandshake } from '../../src/tnccs-client/client';
import { channelPair } from '../helpers/channel-pair';
import type { BatchChannel } from '../../src/tnccs/types';

/** A hostile server: answers every client batch with `type` (no messages), forever; counts what it sent. */
async function endless(server: BatchChannel, type: PbBatchType, counter: { n: number }): Promise<void> {
  try {
    for (;;) {
      await server.receive();
      await server.send(encodeBatch({ type, fromServer: true, messages: [] }));
      counter.n++;
    }
  } catch {
    // the client closed the connection
  }
}

test('endless empty SDATA: the agent gives up after max-rounds with the reason', async () => {
  const [c, s] = channelPair();
  const sent = { n: 0 };
  const hostile = endless(s, PB_BATCH.SDATA, sent);
  await assert.rejects(
    runClientHandshake(new ImcManager(), c, { connectionId: 1, language: 'en', log: new Logger(-1), limits: { maxRounds: 50 } }),
    (e: Error) => e instanceof HandshakeLimitError && e.message === 'the server sent more than 50 batches in one handshake',
  );
  await hostile;
  assert.ok(sent.n <= 52, `${sent.n} batches`); // 51 counted, then one answer to our CLOSE
});

test('endless SRETRY: the agent gives up after max-server-retries', async () => {
  const [c, s] = channelPair();
  const sent = { n: 0 };
  const hostile = endless(s, PB_BATCH.SRETRY, sent);
  await assert.rejects(
    runClientHandshake(new ImcManager(), c, { connectionId: 1, language: 'en', log: new Logger(-1), limits: { maxServerRetries: 3 } }),
    /the server asked for more than 3 handshake retries \(SRETRY\)/,
  );
  await hostile;
  assert.ok(sent.n <= 5, `${sent.n} batches`);
});

test('a server that stops answering: the agent gives up at the handshake timeout', async () => {
  const [c] = channelPair();
  await assert.rejects(
    runClientHandshake(new ImcManager(), c, { connectionId: 1, language: 'en', log: new Logger(-1), limits: { timeoutMs: 200 } }),
    (e: Error) => e instanceof HandshakeLimitError && e.message === 'the handshake took longer than 0.2s',
  );
});
