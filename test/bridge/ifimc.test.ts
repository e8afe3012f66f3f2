import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { attest } from '../../src/agent/attest';
import { LabServer, startLabServer } from '../../src/server-emu/lab-server';
import { OsImc } from '../../src/imcs/os/os-imc';
import { connectPtTls } from '../../src/transport/pt-tls';
import { ImcManager } from '../../src/tnccs-client/imc-manager';
import { runClientHandshake } from '../../src/tnccs-client/client';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Recommendation } from '../../src/tnccs/types';
import { BridgeServer, startBridgeServer } from '../../src/bridge';
import { labPki } from '../helpers/pki';
import { buildNative } from './native';
import { Harness, HarnessImc, reportedTypes, resultOf } from './harness-imc';
import { hostTree } from '../helpers/host-tree';
import { loopbackServer, loopbackClient } from '../helpers/server-process';

// The VPN path end to end: our C TNC client (harness.c) dlopens imc-os.so, which relays every
// IF-IMC call to the daemon's bridge server running the real OS IMC; the harness's messages ride
// our PB-TNC client over real PT-TLS to the lab server's IMVs. The verdict must equal the one the
// agent gets over PT-TLS directly with the same host facts.
const dir = mkdtempSync(join(tmpdir(), 'tnc-bridge-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const socketPath = join(dir, 'run', 'imc.sock');
const native = buildNative();
const serverLog = new MemorySink();
const daemonLog = new MemorySink();
let server: LabServer;
let bridge: BridgeServer | undefined;

before(async () => {
  const pki = await labPki();
  server = await startLabServer({
    ...loopbackServer(join(dir, 'policy.db'), pki),
    policy: 'default',
    log: new Logger(2, 'text', serverLog),
    idleTimeoutMs: 2000,
  });
});
after(async () => {
  await bridge?.close();
  await server.close();
});

async function overBridge(host: ReturnType<typeof hostTree>) {
  bridge = await startBridgeServer({ socketPath, imcs: [new OsImc(host)], log: new Logger(2, 'text', daemonLog) });
  const harness = new Harness(native.harness, native.library('os'), 1, { TNC_AGENT_IMC_SOCKET: socketPath });
  try {
    assert.deepEqual(await harness.next(), ['init 0 1', 'bind 0'], 'nothing connects at load');
    const imcs = new ImcManager();
    imcs.add(new HarnessImc(harness));
    const pki = await labPki();
    const channel = await connectPtTls({
      host: '127.0.0.1',
      port: server.port,
      cert: readFileSync(pki.files.clientCert, 'utf8'),
      key: readFileSync(pki.files.clientKey, 'utf8'),
      ca: readFileSync(pki.files.caCert, 'utf8'),
      log: new Logger(-1),
    });
    const outcome = await runClientHandshake(imcs, channel, { connectionId: 7, language: 'en', log: new Logger(-1) });
    assert.equal(await harness.quit(), 0);
    return { outcome, harness };
  } finally {
    await bridge.close();
    bridge = undefined;
  }
}

async function overPtTls(host: ReturnType<typeof hostTree>) {
  const pki = await labPki();
  return attest({
    ...loopbackClient(server.port, pki),
    log: new Logger(-1),
    os: host,
  });
}

test("the library reports the OS IMC's message type and carries a handshake to allow, as PT-TLS does", async () => {
  const host = hostTree(dir, 'plain');
  const { outcome, harness } = await overBridge(host);
  assert.deepEqual(reportedTypes(harness.lines), [{ vendor: 0, subtype: 1 }]);
  assert.equal(outcome.access, 'allow');
  assert.equal(outcome.access, (await overPtTls(host)).access);
  assert.deepEqual(
    harness.lines.filter((l) => l.startsWith('error')),
    [],
    'the library broke an IF-IMC rule',
  );
  assert.ok(
    harness.lines.some((l) => l.startsWith('send 1 7 0 0 1 65535 ')),
    'no OS message sent through TNC_TNCC_SendMessageLong',
  );
  for (const line of [
    "[IMV] operating system name is 'Ubuntu' from vendor Canonical",
    '[IMV] IPv4 forwarding is disabled',
  ])
    assert.ok(serverLog.lines.includes(line), `server log lacks ${line}`);
  for (const line of [
    '[TNC] IMC 1 "OS" attached over the IF-IMC bridge',
    '[IMC] IMC 1 "OS" created a state for IF-TNCCS 2.0 Connection ID 7: +long +excl -soh',
    '[IMC] IMC 1 "OS" changed state of Connection ID 7 to \'Allowed\'',
    '[IMC] IMC 1 "OS" deleted the state of Connection ID 7',
    '[TNC] IMC 1 "OS" detached from the IF-IMC bridge',
  ]) {
    assert.ok(daemonLog.lines.includes(line), `daemon log lacks ${line}`);
  }
});

test('with a FWDEN workitem a forwarding host is isolated over the bridge exactly as over PT-TLS', async () => {
  await server.store.addEnforcement(WorkitemType.FWDEN, '', { recFail: Recommendation.ISOLATE });
  const router = hostTree(dir, 'router', { forwarding: '1' });
  const { outcome } = await overBridge(router);
  assert.equal(outcome.access, 'isolate');
  assert.equal((await overPtTls(router)).access, 'isolate');
  assert.equal((await overBridge(hostTree(dir, 'clean'))).outcome.access, 'allow');
});

test('without a daemon the library initializes, answers every call with TNC_RESULT_OTHER and says why', async () => {
  const harness = new Harness(native.harness, native.library('os'), 3, {
    TNC_AGENT_IMC_SOCKET: join(dir, 'nobody.sock'),
    TNC_AGENT_IMC_TIMEOUT_MS: '2000',
  });
  assert.deepEqual(await harness.next(), ['init 0 1', 'bind 0']);
  assert.equal(resultOf(await harness.next('create 1 65490 en')), 9);
  assert.equal(resultOf(await harness.next('begin 1')), 9);
  assert.equal(await harness.quit(), 0);
  assert.ok(
    harness.stderr.some((l) => l.includes('IMC 3 "OS" (tnc-agent bridge): cannot reach the tnc-agent daemon')),
    harness.stderr.join('\n'),
  );
});

test('the daemon refuses a library whose IMC it does not run, and one IMC attached twice', async () => {
  bridge = await startBridgeServer({
    socketPath,
    imcs: [new OsImc(hostTree(dir, 'refuse'))],
    log: new Logger(2, 'text', daemonLog),
  });
  const swima = new Harness(native.harness, native.library('swima'), 2, { TNC_AGENT_IMC_SOCKET: socketPath });
  assert.deepEqual(await swima.next(), ['init 0 1', 'bind 0']);
  assert.equal(resultOf(await swima.next('create 1 65490 en')), 9);
  await swima.quit();
  assert.ok(daemonLog.lines.includes('[TNC] IF-IMC bridge refused IMC 2 "SWIMA": no IMC named "SWIMA" in this daemon'));
  const first = new Harness(native.harness, native.library('os'), 1, { TNC_AGENT_IMC_SOCKET: socketPath });
  await first.next();
  assert.ok((await first.next('create 1 65490 en')).includes('types 0/1'));
  const second = new Harness(native.harness, native.library('os'), 4, { TNC_AGENT_IMC_SOCKET: socketPath });
  await second.next();
  assert.ok(!(await second.next('create 1 65490 en')).some((l) => l.startsWith('types')));
  await second.quit();
  await first.quit();
  assert.ok(
    daemonLog.lines.some((l) =>
      l.includes('refused IMC 4 "OS": IMC "OS" is attached by another TNC client library already'),
    ),
  );
  await bridge.close();
  bridge = undefined;
});

test('a TNC client with only the short message functions gets the types and messages in short form', async () => {
  bridge = await startBridgeServer({ socketPath, imcs: [new OsImc(hostTree(dir, 'short'))], log: new Logger(-1) });
  const h = new Harness(native.harness, native.library('os'), 1, { TNC_AGENT_IMC_SOCKET: socketPath }, 'short');
  await h.next();
  const created = await h.next('create 5 65490 en');
  assert.ok(created.includes('types-short 1'), 'IETF/OS is message type 0x000001 in the short form');
  assert.equal(resultOf(created), 0);
  assert.equal(resultOf(await h.next('state 5 1')), 0);
  const begun = await h.next('begin 5');
  assert.ok(
    begun.some((l) => l.startsWith('send 1 5 0 0 1 65535 ')),
    begun.join('\n'),
  );
  assert.equal(
    resultOf(await h.next('recvshort 5 1 -')),
    0,
    'an empty PA message is answered (with a PA-TNC error), not refused',
  );
  assert.equal(await h.quit(), 0);
  await bridge.close();
  bridge = undefined;
});

test('garbage on the bridge socket is dropped and the daemon keeps serving', async () => {
  bridge = await startBridgeServer({
    socketPath,
    imcs: [new OsImc(hostTree(dir, 'garbage'))],
    log: new Logger(2, 'text', daemonLog),
  });
  await new Promise<void>((resolve) => {
    const s = connect(socketPath, () => s.write(Buffer.from('ffffffff01', 'hex')));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  assert.ok(
    daemonLog.lines.some((l) =>
      l.includes(
        'IF-IMC bridge: malformed frame from the TNC client library: bridge frame length: length 4294967295 outside',
      ),
    ),
  );
  const h = new Harness(native.harness, native.library('os'), 1, { TNC_AGENT_IMC_SOCKET: socketPath });
  await h.next();
  assert.ok((await h.next('create 1 65490 en')).includes('types 0/1'));
  assert.equal(await h.quit(), 0);
  await bridge.close();
  bridge = undefined;
});
