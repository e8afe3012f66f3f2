import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { Agent, AgentState } from '../../src/imcv/agent';
import type { PaPort, ReceivedPa } from '../../src/imcv/pa-port';
import { ProductInformationAttr } from '../../src/protocol/pa-tnc/ietf';
import { AttributeRequestAttr } from '../../src/protocol/pa-tnc/ietf/testing';
import { decodeBatch, batchTypeName } from '../../src/protocol/pb-tnc/batch';
import { PA_SUBTYPE, VENDOR } from '../../src/protocol/vendors';
import { Logger, MemorySink } from '../../src/log';
import { ImcManager } from '../../src/tnccs-client/imc-manager';
import { runClientHandshake } from '../../src/tnccs-client/client';
import { ImvManager } from '../../src/server-emu/imv-manager';
import { TnccsServer } from '../../src/server-emu/server';
import type { RecommendationPolicy } from '../../src/policy/merge';
import { ConnectionInfo, Evaluation, ImvHost, Recommendation, TnccsHost } from '../../src/tnccs/types';
import { channelPair } from '../helpers/channel-pair';

/** Test IMC: sends its product at the start and again whenever asked. */
class EchoImc extends Agent<AgentState, TnccsHost> {
  readonly name = 'Echo';
  readonly subscriptions = [PA_SUBTYPE.OS];
  readonly codecs = ALL_CODECS.pa;
  protected readonly role = 'IMC' as const;
  protected createState(conn: ConnectionInfo, port: PaPort): AgentState {
    return { conn, port };
  }
  beginHandshake(id: number): void {
    const s = this.state(id)!;
    s.port.send(PA_SUBTYPE.OS, [ProductInformationAttr.make({ vendor: 0, productId: 0, name: 'Echo OS' })]);
  }
  protected handle(state: AgentState, msg: ReceivedPa): void {
    if (msg.attributes.some((a) => AttributeRequestAttr.is(a))) this.beginHandshake(state.conn.id);
  }
}

/** Test IMV: asks once more, then decides with a fixed verdict. */
class AskTwiceImv extends Agent<AgentState & { seen: number }, ImvHost> {
  readonly subscriptions = [PA_SUBTYPE.OS];
  readonly codecs = ALL_CODECS.pa;
  protected readonly role = 'IMV' as const;
  constructor(
    readonly name: string,
    private readonly verdict: [Recommendation, Evaluation],
  ) {
    super();
  }
  protected createState(conn: ConnectionInfo, port: PaPort) {
    return { conn, port, seen: 0 };
  }
  protected handle(state: AgentState & { seen: number }, msg: ReceivedPa): void {
    assert.ok(msg.attributes.some((a) => ProductInformationAttr.is(a)));
    if (++state.seen === 1)
      state.port.send(PA_SUBTYPE.OS, [AttributeRequestAttr.make([{ vendor: VENDOR.IETF, type: 2 }])]);
    else this.host.provideRecommendation(state.conn.id, this.id, ...this.verdict);
  }
  solicitRecommendation(): void {}
}

async function handshake(policy: RecommendationPolicy, verdicts: [Recommendation, Evaluation][]) {
  const sink = new MemorySink();
  const log = new Logger(2, 'text', sink);
  const imcs = new ImcManager();
  imcs.add(new EchoImc());
  const imvs = new ImvManager();
  verdicts.forEach((v, i) => imvs.add(new AskTwiceImv(`V${i}`, v)));
  const [c, s] = channelPair();
  const server = new TnccsServer(imvs, { policy, log: log.with({ side: 'server' }) });
  const [outcome, verdict] = await Promise.all([
    runClientHandshake(imcs, c, { connectionId: 1, language: 'en', log }),
    server.serve(s),
  ]);
  const sent = (ch: typeof c) =>
    (ch as unknown as { sent: Buffer[] }).sent.map((b) => batchTypeName(decodeBatch(b, ALL_CODECS.pb).type));
  return { outcome, verdict, lines: sink.lines, clientBatches: sent(c), serverBatches: sent(s) };
}

test('client and server run CDATA → SDATA → CDATA → RESULT → CLOSE', async () => {
  const r = await handshake('default', [[Recommendation.ALLOW, Evaluation.COMPLIANT]]);
  assert.deepEqual(r.clientBatches, ['CDATA', 'CDATA', 'CLOSE']);
  assert.deepEqual(r.serverBatches, ['SDATA', 'RESULT']);
  assert.equal(r.outcome.access, 'allow');
  assert.equal(r.outcome.assessment, Evaluation.COMPLIANT);
  assert.equal(r.verdict?.recommendation, Recommendation.ALLOW);
  assert.ok(r.lines.includes("[TNC] PB-TNC state transition from 'Init' to 'Server Working'"));
  assert.ok(r.lines.includes("server [TNC] final recommendation is 'allow' and evaluation is 'compliant'"));
});

test('recommendation policies combine two IMVs', async () => {
  const mixed: [Recommendation, Evaluation][] = [
    [Recommendation.ALLOW, Evaluation.COMPLIANT],
    [Recommendation.ISOLATE, Evaluation.NONCOMPLIANT_MINOR],
  ];
  const byDefault = await handshake('default', mixed);
  assert.equal(byDefault.outcome.access, 'isolate');
  assert.equal(byDefault.outcome.assessment, Evaluation.NONCOMPLIANT_MINOR);
  const any = await handshake('any', mixed);
  assert.equal(any.outcome.access, 'allow');
  const all = await handshake('all', mixed);
  assert.equal(all.verdict?.recommendation, Recommendation.NO_RECOMMENDATION);
  assert.equal(all.outcome.access, 'no access');
});

test('a malformed PA-TNC message is answered with a PA-TNC Error, not a crash', async () => {
  const { PaPort } = await import('../../src/imcv/pa-port');
  const { decodePaMessage } = await import('../../src/protocol/pa-tnc/message');
  const { PaTncErrorAttr } = await import('../../src/protocol/pa-tnc/ietf/pa-tnc-error');
  const sent: Buffer[] = [];
  const conn = { id: 1, maxPaMessageSize: 65490, transport: 'pt-tls' as const, language: 'en', log: new Logger(-1) };
  const port = new PaPort(conn, { send: (_id, env) => sent.push(env.body) }, 1, 'IMV', ALL_CODECS.pa);
  // a Product Information attribute whose length overruns the message
  const bad = Buffer.from('0100000000000007' + '000000000000000200000040' + '0000', 'hex');
  assert.equal(
    port.receive({ type: PA_SUBTYPE.OS, collectorId: 1, validatorId: 1, exclusive: false, body: bad }),
    undefined,
  );
  assert.equal(sent.length, 1);
  const reply = decodePaMessage(sent[0], ALL_CODECS.pa).attributes[0];
  assert.ok(PaTncErrorAttr.is(reply));
  assert.equal(reply.value.code, 1); // Invalid Parameter
});

test('PA messages that do not fit one batch wait for the next one', async () => {
  const { Outbox } = await import('../../src/tnccs/outbox');
  const out = new Outbox();
  const env = (n: number) => ({
    type: PA_SUBTYPE.OS,
    collectorId: 1,
    validatorId: 1,
    exclusive: false,
    body: Buffer.alloc(n),
  });
  for (const n of [100, 100, 100]) out.push(7, env(n));
  assert.equal(out.take(7, 250).length, 2); // 2 × (24 + 100) = 248
  assert.equal(out.pending(7), 1);
  assert.equal(out.take(7, 10).length, 1, 'always at least one message');
  assert.equal(out.pending(7), 0);
});

/** Test IMC that asks for one handshake retry when it first learns the result. */
class RetryOnceImc extends EchoImc {
  private asked = false;
  override notifyConnectionChange(
    conn: ConnectionInfo,
    change: Parameters<EchoImc['notifyConnectionChange']>[1],
  ): void {
    super.notifyConnectionChange(conn, change);
    if (change === 'Allowed' && !this.asked) {
      this.asked = true;
      this.host.requestHandshakeRetry?.(conn.id, 'software changed');
    }
  }
}

test('an IMC asking for a retry gets CRETRY and a second assessment on the same connection', async () => {
  const sink = new MemorySink();
  const log = new Logger(2, 'text', sink);
  const imcs = new ImcManager();
  imcs.add(new RetryOnceImc());
  const imvs = new ImvManager();
  imvs.add(new AskTwiceImv('V', [Recommendation.ALLOW, Evaluation.COMPLIANT]));
  const [c, s] = channelPair();
  const server = new TnccsServer(imvs, { policy: 'default', log: log.with({ side: 'server' }) });
  const [outcome] = await Promise.all([
    runClientHandshake(imcs, c, { connectionId: 1, language: 'en', log }),
    server.serve(s),
  ]);
  const sent = (ch: typeof c) =>
    (ch as unknown as { sent: Buffer[] }).sent.map((b) => batchTypeName(decodeBatch(b, ALL_CODECS.pb).type));
  assert.deepEqual(sent(c), ['CDATA', 'CDATA', 'CRETRY', 'CLOSE']);
  assert.deepEqual(sent(s), ['SDATA', 'RESULT', 'RESULT']);
  assert.equal(outcome.access, 'allow');
  assert.ok(sink.lines.includes('[TNC] IMC requested a handshake retry: software changed'));
  assert.ok(sink.lines.includes('server [TNC] client requested a handshake retry on Connection ID 1'));
});
