import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { Agent, AgentState } from '../../src/imcv/agent';
import type { PaPort, ReceivedPa } from '../../src/imcv/pa-port';
import { ProductInformationAttr } from '../../src/protocol/pa-tnc/ietf';
import { PA_SUBTYPE } from '../../src/protocol/vendors';
import { Logger, MemorySink } from '../../src/log';
import { ImcManager } from '../../src/tnccs-client/imc-manager';
import { runClientHandshake } from '../../src/tnccs-client/client';
import { ImvManager } from '../../src/server-emu/imv-manager';
import { TnccsServer } from '../../src/server-emu/server';
import {
  BatchChannel,
  ConnectionInfo,
  Evaluation,
  Imc,
  ImvHost,
  Recommendation,
  TnccsHost,
} from '../../src/tnccs/types';
import { channelPair } from '../helpers/channel-pair';

type Call = 'beginHandshake' | 'receiveMessage' | 'batchEnding' | 'solicitRecommendation' | 'Create';

class ProductImc extends Agent<AgentState, TnccsHost> {
  readonly subscriptions = [PA_SUBTYPE.OS];
  readonly codecs = ALL_CODECS.pa;
  protected readonly role = 'IMC' as const;
  constructor(
    readonly name: string,
    private readonly throwIn?: Call,
  ) {
    super();
  }
  protected createState(conn: ConnectionInfo, port: PaPort): AgentState {
    return { conn, port };
  }
  beginHandshake(id: number): void {
    if (this.throwIn === 'beginHandshake') throw new Error('cannot read /etc/os-release');
    this.state(id)!.port.send(PA_SUBTYPE.OS, [
      ProductInformationAttr.make({ vendor: 0, productId: 0, name: this.name }),
    ]);
  }
  protected handle(): void {}
}

/** Decides on the first message it sees, unless it is the one that throws in `throwIn`. */
class FixedImv extends Agent<AgentState, ImvHost> {
  readonly subscriptions = [PA_SUBTYPE.OS];
  readonly codecs = ALL_CODECS.pa;
  protected readonly role = 'IMV' as const;
  constructor(
    readonly name: string,
    private readonly verdict: [Recommendation, Evaluation],
    private readonly throwIn?: Call,
  ) {
    super();
  }
  protected createState(conn: ConnectionInfo, port: PaPort): AgentState {
    if (this.throwIn === 'Create') throw new Error('policy database is gone');
    return { conn, port };
  }
  protected handle(state: AgentState, _msg: ReceivedPa): void {
    if (this.throwIn === 'receiveMessage') throw new Error('verifier bug');
    this.host.provideRecommendation(state.conn.id, this.id, ...this.verdict);
  }
  protected override batchEnded(): void {
    if (this.throwIn === 'batchEnding') throw new Error('batch ending bug');
  }
  solicitRecommendation(): void {
    if (this.throwIn === 'solicitRecommendation') throw new Error('solicit bug');
  }
}

async function run(imcList: Imc[], imvList: FixedImv[]) {
  const sink = new MemorySink();
  const log = new Logger(1, 'text', sink);
  const imcs = new ImcManager();
  for (const i of imcList) imcs.add(i);
  const imvs = new ImvManager();
  for (const v of imvList) imvs.add(v);
  const [c, s] = channelPair();
  const server = new TnccsServer(imvs, { policy: 'default', log: log.with({ side: 'server' }) });
  const [outcome, verdict] = await Promise.all([
    runClientHandshake(imcs, c, { connectionId: 1, language: 'en', log }),
    server.serve(s),
  ]);
  return { outcome, verdict, lines: sink.lines };
}

for (const call of ['receiveMessage', 'batchEnding', 'Create'] as const) {
  test(`an IMV throwing in ${call} counts as an error verdict (no access, never allow); the RESULT still goes out`, async () => {
    const r = await run(
      [new ProductImc('OS')],
      [
        new FixedImv('Good', [Recommendation.ALLOW, Evaluation.COMPLIANT]),
        new FixedImv('Bad', [Recommendation.ALLOW, Evaluation.COMPLIANT], call),
      ],
    );
    assert.equal(r.outcome.access, 'no access', 'a failed verifier fails closed, whatever the good IMV says');
    assert.equal(r.outcome.assessment, Evaluation.ERROR, 'the failed IMV counts as evaluation error');
    assert.ok(
      r.lines.some((l) => /\[TNC\] IMV 2 "Bad" failed in \w+/.test(l)),
      r.lines.join('\n'),
    );
    assert.ok(r.outcome.reasons.some((x) => x.startsWith('IMV "Bad" failed')));
  });
}

test('an IMV throwing in SolicitRecommendation counts as an error verdict', async () => {
  // no IMC sends anything, so the server solicits on the first (empty) CDATA
  const r = await run([], [new FixedImv('Bad', [Recommendation.ALLOW, Evaluation.COMPLIANT], 'solicitRecommendation')]);
  assert.equal(r.outcome.access, 'no access');
  assert.equal(r.outcome.assessment, Evaluation.ERROR);
  assert.ok(r.lines.some((l) => l.includes('IMV 1 "Bad" failed in SolicitRecommendation')));
});

test('an IMC throwing in BeginHandshake does not stop the other IMCs', async () => {
  const r = await run(
    [new ProductImc('Broken', 'beginHandshake'), new ProductImc('OS')],
    [new FixedImv('V', [Recommendation.ALLOW, Evaluation.COMPLIANT])],
  );
  assert.equal(r.outcome.access, 'allow');
  assert.ok(
    r.lines.some((l) =>
      l.includes('[TNC] IMC 1 "Broken" failed in BeginHandshake on Connection ID 1: cannot read /etc/os-release'),
    ),
  );
});

test('the channel is closed when the first CDATA cannot be sent', async () => {
  let closed = false;
  const channel: BatchChannel = {
    maxBatchSize: 65522,
    send: () => Promise.reject(new Error('socket hang up')),
    receive: () => new Promise(() => {}),
    close: async () => void (closed = true),
  };
  const imcs = new ImcManager();
  imcs.add(new ProductImc('OS'));
  await assert.rejects(
    runClientHandshake(imcs, channel, { connectionId: 1, language: 'en', log: new Logger(-1) }),
    /socket hang up/,
  );
  assert.ok(closed);
});
