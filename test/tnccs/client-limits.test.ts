import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
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
    runClientHandshake(new ImcManager(), c, {
      connectionId: 1,
      language: 'en',
      log: new Logger(-1),
      limits: { maxRounds: 50 },
    }),
    (e: Error) =>
      e instanceof HandshakeLimitError && e.message === 'the server sent more than 50 batches in one handshake',
  );
  await hostile;
  assert.ok(sent.n <= 52, `${sent.n} batches`); // 51 counted, then one answer to our CLOSE
});

test('endless SRETRY: the agent gives up after max-server-retries', async () => {
  const [c, s] = channelPair();
  const sent = { n: 0 };
  const hostile = endless(s, PB_BATCH.SRETRY, sent);
  await assert.rejects(
    runClientHandshake(new ImcManager(), c, {
      connectionId: 1,
      language: 'en',
      log: new Logger(-1),
      limits: { maxServerRetries: 3 },
    }),
    /the server asked for more than 3 handshake retries \(SRETRY\)/,
  );
  await hostile;
  assert.ok(sent.n <= 5, `${sent.n} batches`);
});

test('a server that stops answering: the agent gives up at the handshake timeout', async () => {
  const [c] = channelPair();
  await assert.rejects(
    runClientHandshake(new ImcManager(), c, {
      connectionId: 1,
      language: 'en',
      log: new Logger(-1),
      limits: { timeoutMs: 200 },
    }),
    (e: Error) => e instanceof HandshakeLimitError && e.message === 'the handshake took longer than 0.2s',
  );
});

test('a RESULT with two Access Recommendations (deny, then allow) is a protocol error, not allow', async () => {
  const { PbAccessRecommendationMsg, PbAssessmentResultMsg } = await import('../../src/protocol/pb-tnc/ietf/result');
  const { decodeBatch } = await import('../../src/protocol/pb-tnc/batch');
  const { PbErrorMsg } = await import('../../src/protocol/pb-tnc/ietf/error');
  const [c, s] = channelPair();
  const server = (async () => {
    await s.receive();
    const messages = [
      PbAssessmentResultMsg.make(0),
      PbAccessRecommendationMsg.make(2),
      PbAccessRecommendationMsg.make(1),
    ];
    await s.send(encodeBatch({ type: PB_BATCH.RESULT, fromServer: true, messages }));
    return decodeBatch(await s.receive(), ALL_CODECS.pb);
  })();
  await assert.rejects(
    runClientHandshake(new ImcManager(), c, { connectionId: 1, language: 'en', log: new Logger(-1) }),
    /second PB-Access-Recommendation message in one batch/,
  );
  const close = await server;
  assert.equal(close.type, PB_BATCH.CLOSE);
  const err = close.messages.find((m) => PbErrorMsg.is(m));
  assert.ok(
    err &&
      PbErrorMsg.is(err) &&
      err.value.fatal &&
      err.value.code === 1 &&
      'offset' in err.value.params &&
      err.value.params.offset === 8 + 16 + 16,
  );
});

test('a fatal PB-Error from the server in an SDATA ends the handshake (RFC 5793 4.9)', async () => {
  const { PbErrorMsg } = await import('../../src/protocol/pb-tnc/ietf/error');
  const [c, s] = channelPair();
  void (async () => {
    await s.receive();
    await s.send(
      encodeBatch({
        type: PB_BATCH.SDATA,
        fromServer: true,
        messages: [PbErrorMsg.make({ fatal: true, vendor: 0, code: 2, params: { offset: 0 } })],
      }),
    );
  })();
  await assert.rejects(
    runClientHandshake(new ImcManager(), c, { connectionId: 1, language: 'en', log: new Logger(-1) }),
    /the server reported a fatal PB-TNC error 'Local Error'/,
  );
});

test('a fatal PB-Error from the client is answered with CLOSE, not a RESULT (RFC 5793 4.9)', async () => {
  const { PbErrorMsg } = await import('../../src/protocol/pb-tnc/ietf/error');
  const { decodeBatch } = await import('../../src/protocol/pb-tnc/batch');
  const { ImvManager } = await import('../../src/server-emu/imv-manager');
  const { TnccsServer } = await import('../../src/server-emu/server');
  const [c, s] = channelPair();
  const server = new TnccsServer(new ImvManager(), { policy: 'default', log: new Logger(-1) });
  const serving = server.serve(s);
  await c.send(
    encodeBatch({
      type: PB_BATCH.CDATA,
      fromServer: false,
      messages: [PbErrorMsg.make({ fatal: true, vendor: 0, code: 2, params: { offset: 0 } })],
    }),
  );
  assert.equal(decodeBatch(await c.receive(), ALL_CODECS.pb).type, PB_BATCH.CLOSE);
  assert.equal(await serving, undefined);
});
