import { ALL_CODECS } from '../../src/protocol/codecs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, AgentState } from '../../src/imcv/agent';
import type { PaPort, ReceivedPa } from '../../src/imcv/pa-port';
import { SwimaImc } from '../../src/imcs/swima/swima-imc';
import { watchDpkg } from '../../src/imcs/swima/watch';
import { Logger, MemorySink } from '../../src/log';
import {
  SwEvents,
  SwIdEventsAttr,
  SwIdInventoryAttr,
  SwimaRequestAttr,
  SwInventory,
} from '../../src/protocol/pa-tnc/swima';
import { PA_SUBTYPE } from '../../src/protocol/vendors';
import { ConnectionInfo, Evaluation, ImvHost, Recommendation } from '../../src/tnccs/types';
import { addPackage } from './fixture';
import { agent, handshake, has, lab } from './lab';

const BASH = 'strongswan.org__Debian_12-x86_64-bash-5.2.15-2~b8';
const LESS = 'strongswan.org__Debian_12-x86_64-less-590-2.1~deb12u2';

test('subscription status and source metadata: asked with Q and M, answered by the IMC', async () => {
  const l = await lab('query', 'RSQM');
  try {
    const granted = agent('query-granted', { subscriptions: true });
    const g = await handshake(l, granted.imc);
    assert.equal(g.outcome.access, 'allow');
    has(g.lines, /IMC \d+ requests a segmentation contract for PA message type 'IETF\/SWIMA'/);
    has(l.log.lines, /IMV \d+ requests a segmentation contract for PA message type 'IETF\/SWIMA'/);
    has(l.log.lines, /IMV \d+ requests SWIMA subscription status$/);
    has(l.log.lines, /IMV \d+ requests SWIMA source metadata$/);
    has(l.log.lines, /received subscription status with 1 subscriptions$/);
    has(
      l.log.lines,
      /^\[IMV\] {3}subscription (\d+): sw request \1 with earliest eid 0, sw identifiers only, subscribe$/,
    );
    has(l.log.lines, /received source metadata with 1 sources$/);
    has(
      l.log.lines,
      new RegExp(
        `^\\[IMV\\] {3}source 1: dpkg status database ${granted.root}/var/lib/dpkg/status, identifiers of tag creator strongswan.org$`,
      ),
    );
    // subscriptions refused: the status lists none
    l.log.lines.length = 0;
    const denied = agent('query-denied');
    await handshake(l, denied.imc);
    has(l.log.lines, /received PA-TNC error 'SWIMA Subscription Denied'/);
    has(l.log.lines, /received subscription status with 0 subscriptions$/);
    granted.store.close();
    denied.store.close();
  } finally {
    await l.server.close();
  }
});

test('SWIMA Response Too Large: an answer over the maximum becomes PA-TNC error 6 with that maximum', async () => {
  const l = await lab('too-large', 'R');
  try {
    const a = agent('too-large', { maxResponseSize: 4096 });
    const r = await handshake(l, a.imc);
    has(r.lines, /SWIMA response of \d+ bytes for request \d+ exceeds the maximum of 4096 bytes$/);
    has(l.log.lines, /received PA-TNC error 'SWIMA Response Too Large' for request \d+$/);
    has(l.log.lines, /handled SWIDT workitem \d+: .+ - response larger than the 4096 bytes allowed$/);
    assert.equal(
      l.log.lines.some((x) => x.includes('received software ID inventory')),
      false,
    );
    assert.equal(
      await l.policy!.state((await l.server.store.listDevices())[0].value),
      undefined,
      'nothing stored for the device',
    );
    a.store.close();
  } finally {
    await l.server.close();
  }
});

type Answers = { inventory?: SwInventory; events?: SwEvents; decided: boolean };

/** A test IMV that sends targeted SWIMA Requests (our SWIMA IMV never targets) and keeps the answers. */
class TargetedImv extends Agent<AgentState & Answers, ImvHost> {
  readonly name = 'SWIMA-targeted';
  readonly subscriptions = [PA_SUBTYPE.SWIMA];
  readonly codecs = ALL_CODECS.pa;
  protected readonly role = 'IMV' as const;
  readonly answers: Answers[] = [];
  protected createState(conn: ConnectionInfo, port: PaPort) {
    const s = { conn, port, decided: false };
    this.answers.push(s);
    return s;
  }
  protected override batchEnded(s: AgentState & Answers): void {
    if (this.answers.length > 1 || s.decided || s.inventory) return;
    const req = {
      clearSubscriptions: false,
      subscribe: false,
      idsOnly: true,
      softwareIds: [BASH, 'strongswan.org__Debian_12-x86_64-not-installed-1', LESS],
    };
    s.port.send(PA_SUBTYPE.SWIMA, [
      SwimaRequestAttr.make({ ...req, requestId: 1, earliestEid: 0 }),
      SwimaRequestAttr.make({ ...req, requestId: 2, earliestEid: 1, softwareIds: [BASH] }),
    ]);
    this.answers.push(s);
  }
  protected handle(s: AgentState & Answers, msg: ReceivedPa): void {
    for (const a of msg.attributes) {
      if (SwIdInventoryAttr.is(a)) s.inventory = a.value;
      if (SwIdEventsAttr.is(a)) s.events = a.value;
    }
    if (s.inventory && s.events && !s.decided) {
      s.decided = true;
      this.host.provideRecommendation(s.conn.id, this.id, Recommendation.ALLOW, Evaluation.COMPLIANT);
    }
  }
  solicitRecommendation(id: number): void {
    const s = this.state(id);
    if (s && !s.decided)
      this.host.provideRecommendation(id, this.id, Recommendation.NO_RECOMMENDATION, Evaluation.DONT_KNOW);
  }
}

test('targeted requests: only the records of the given software identifiers', async () => {
  const imv = new TargetedImv();
  const l = await lab('targeted', 'R', () => [imv]);
  try {
    const a = agent('targeted');
    const r = await handshake(l, a.imc);
    assert.equal(r.outcome.access, 'allow');
    const s = imv.answers[0];
    assert.deepEqual(
      s.inventory!.records.map((x) => x.softwareId),
      [BASH, LESS],
      'installed ones only, the unknown one left out',
    );
    assert.equal(s.inventory!.requestId, 1);
    const bashEvents = a.store.eventsSince(1).filter((e) => e.identifier.swId === BASH);
    assert.ok(bashEvents.length > 0);
    assert.deepEqual(
      s.events!.events.map((e) => e.eid),
      bashEvents.map((e) => e.eid),
    );
    assert.ok(
      a.store.eventsSince(1).length > bashEvents.length,
      'the store has events of other packages that were left out',
    );
    assert.equal(s.events!.lastEid, a.store.lastEid());
    a.store.close();
  } finally {
    await l.server.close();
  }
});

/** The SWIMA IMC with a hook run once at the end of a server batch, while the handshake goes on. */
class HookedImc extends SwimaImc {
  hook?: () => Promise<void>;
  override async batchEnding(connectionId: number): Promise<void> {
    await super.batchEnding(connectionId);
    const h = this.hook;
    this.hook = undefined;
    await h?.();
  }
}

test('subscriptions: new events collected live while connected go unsolicited to the subscriber', async () => {
  const l = await lab('live', 'RS');
  const a = agent('live');
  const imc = new HookedImc({
    store: a.store,
    os: { name: 'Debian', version: '12', arch: 'x86_64' },
    subscriptions: true,
  });
  let arrived: (() => void) | undefined;
  const live = watchDpkg(a.collector, a.root, new Logger(1, 'text', new MemorySink()), () => {
    imc.notifyNewEvents();
    arrived?.();
  });
  try {
    await live.ready;
    assert.equal((await handshake(l, imc)).outcome.access, 'allow');
    const device = (await l.server.store.listDevices())[0].value;
    const lastEid = a.store.lastEid();
    // second handshake: events since lastEid + 1 with a subscription; telnet is installed mid-handshake
    imc.hook = () =>
      new Promise<void>((resolve) => {
        arrived = resolve;
        addPackage(a.root, 'telnet', '0.17+2.4-2');
      });
    l.log.lines.length = 0;
    const r = await handshake(l, imc);
    assert.equal(r.outcome.access, 'allow');
    has(
      l.log.lines,
      new RegExp(`received software ID events with 0 items for request \\d+ at last eid ${lastEid} of epoch`),
    );
    has(
      l.log.lines,
      new RegExp(`received software ID events with 1 items for subscription \\d+ at last eid ${lastEid + 1} of epoch`),
    );
    assert.ok((await l.policy!.inventory(device)).includes('strongswan.org__Debian_12-x86_64-telnet-0.17~2.4-2'));
    assert.deepEqual(await l.policy!.state(device), { epoch: a.store.epoch, lastEid: lastEid + 1 });
  } finally {
    await live.close();
    await l.server.close();
    a.store.close();
  }
});
