import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { Agent, AgentState } from '../../src/imcv/agent';
import type { PaPort } from '../../src/imcv/pa-port';
import { ByteBudget } from '../../src/imcv/reassembly-budget';
import { decodeBatch, encodeBatch, PB_BATCH } from '../../src/protocol/pb-tnc/batch';
import { PbPaMsg } from '../../src/protocol/pb-tnc/ietf/pa';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { PaTncErrorAttr } from '../../src/protocol/pa-tnc/ietf/pa-tnc-error';
import { SegmentEnvelopeAttr } from '../../src/protocol/pa-tnc/tcg/seg';
import { PA_SUBTYPE } from '../../src/protocol/vendors';
import { Logger } from '../../src/log';
import { ImvManager } from '../../src/server-emu/imv-manager';
import { TnccsServer } from '../../src/server-emu/server';
import { ImcManager } from '../../src/tnccs-client/imc-manager';
import { runClientHandshake } from '../../src/tnccs-client/client';
import { envelopeFromPbPa, pbPaFromEnvelope } from '../../src/tnccs/pb-pa';
import type { BatchChannel, ConnectionInfo, ImvHost, TnccsHost } from '../../src/tnccs/types';
import { channelPair } from '../helpers/channel-pair';

const TYPES = [PA_SUBTYPE.OS, PA_SUBTYPE.SWIMA];
const DECLARED = 60 * 1024 * 1024; // each exchange claims a 60 MiB attribute

/** An IMV or IMC that only listens (segmentation runs in its PaPort) and never decides. */
class Listener<H extends TnccsHost> extends Agent<AgentState, H> {
  readonly name = 'Listener';
  readonly subscriptions = TYPES;
  readonly codecs = ALL_CODECS.pa;
  constructor(protected readonly role: 'IMC' | 'IMV') {
    super();
  }
  protected createState(conn: ConnectionInfo, port: PaPort): AgentState {
    return { conn, port };
  }
  protected handle(): void {}
  beginHandshake(): void {}
  solicitRecommendation(): void {}
}

/** A budget that remembers the most it ever held. */
class WatchedBudget extends ByteBudget {
  peak = 0;
  override take(n: number): boolean {
    const ok = super.take(n);
    this.peak = Math.max(this.peak, this.held);
    return ok;
  }
}

function segment(baseMessageId: number, start: boolean, size: number, fromServer: boolean): Buffer {
  const data = Buffer.alloc(size, 0x5a);
  if (start) data.writeUInt32BE(DECLARED, 8); // the inner attribute header's length field
  const body = encodePaMessage({
    messageId: baseMessageId,
    attributes: [SegmentEnvelopeAttr.make({ baseMessageId, start, more: true, data })],
  });
  const type = TYPES[baseMessageId % 2];
  const env = { type, collectorId: 1, validatorId: 1, exclusive: false, body };
  return encodeBatch({
    type: fromServer ? PB_BATCH.SDATA : PB_BATCH.CDATA,
    fromServer,
    messages: [pbPaFromEnvelope(env)],
  });
}

/** PA-TNC Errors in a batch from the other side. */
function errorsIn(batch: Buffer): number {
  let n = 0;
  for (const m of decodeBatch(batch, ALL_CODECS.pb).messages) {
    if (PbPaMsg.is(m))
      n += decodePaMessage(envelopeFromPbPa(m.value).body, ALL_CODECS.pa).attributes.filter((a) =>
        PaTncErrorAttr.is(a),
      ).length;
  }
  return n;
}

/**
 * The hostile peer: `exchanges` new exchanges of one first segment each, then keeps feeding 60 KB
 * segments to the exchanges it opened first; never sends a last segment. Returns the PA-TNC Errors
 * it got back.
 */
async function hoard(ch: BatchChannel, fromServer: boolean, exchanges: number, feeds: number): Promise<number> {
  let errors = 0;
  const round = async (b: Buffer) => {
    await ch.send(b);
    errors += errorsIn(await ch.receive());
  };
  if (fromServer) await ch.receive(); // the client's first CDATA
  for (let id = 1; id <= exchanges; id++) await round(segment(id, true, 1000, fromServer));
  for (let i = 0; i < feeds; i++) await round(segment(1 + (i % 32), false, 60_000, fromServer));
  return errors;
}

test('a hostile client opening hundreds of unfinished segment exchanges is refused with PA-TNC Errors; the server holds at most its bound', async () => {
  const total = new WatchedBudget(3 * 1024 * 1024);
  const imvs = new ImvManager();
  imvs.add(new Listener<ImvHost>('IMV'));
  const server = new TnccsServer(imvs, {
    policy: 'default',
    log: new Logger(-1),
    reassembly: { perConnection: 2 * 1024 * 1024, total },
  });
  const [c, s] = channelPair();
  const serving = server.serve(s);
  const errors = await hoard(c, false, 300, 100);
  // 300 starts over 2 types: 16 open per type, the other 268 refused; then 60 KB segments past 2 MiB
  assert.ok(errors > 268, `${errors} PA-TNC Errors`);
  assert.ok(total.peak <= 2 * 1024 * 1024, `held ${total.peak} bytes`);
  await c.send(encodeBatch({ type: PB_BATCH.CLOSE, fromServer: false, messages: [] }));
  await serving;
  assert.equal(total.held, 0, 'the ended connection gave its bytes back');
});

test('all connections together stay under the total bound', async () => {
  const total = new WatchedBudget(3 * 1024 * 1024);
  const imvs = new ImvManager();
  imvs.add(new Listener<ImvHost>('IMV'));
  const server = new TnccsServer(imvs, {
    policy: 'default',
    log: new Logger(-1),
    reassembly: { perConnection: 2 * 1024 * 1024, total },
  });
  const peers = [channelPair(), channelPair()];
  const serving = peers.map(([, s]) => server.serve(s));
  const errors = await Promise.all(peers.map(([c]) => hoard(c, false, 32, 40)));
  // 2 × 40 × 60 KB offered, 3 MiB allowed in all
  assert.ok(total.peak <= 3 * 1024 * 1024, `held ${total.peak} bytes`);
  assert.ok(total.peak > 2 * 1024 * 1024, 'both connections held some');
  assert.ok(errors[0] + errors[1] > 0, 'refusals once the total is reached');
  for (const [c] of peers) await c.send(encodeBatch({ type: PB_BATCH.CLOSE, fromServer: false, messages: [] }));
  await Promise.all(serving);
  assert.equal(total.held, 0);
});

test('a hostile server doing the same to the agent is refused with PA-TNC Errors; the agent holds at most its bound', async () => {
  const held = new WatchedBudget(2 * 1024 * 1024);
  const imcs = new ImcManager();
  imcs.add(new Listener<TnccsHost>('IMC'));
  const [c, s] = channelPair();
  const client = runClientHandshake(imcs, c, {
    connectionId: 1,
    language: 'en',
    log: new Logger(-1),
    reassembly: held,
  });
  const errors = await hoard(s, true, 300, 100);
  await s.send(encodeBatch({ type: PB_BATCH.CLOSE, fromServer: true, messages: [] }));
  await assert.rejects(client, /without a recommendation/);
  assert.ok(errors > 268, `${errors} PA-TNC Errors`);
  assert.ok(held.peak <= 2 * 1024 * 1024, `held ${held.peak} bytes`);
  assert.equal(held.held, 0);
});
