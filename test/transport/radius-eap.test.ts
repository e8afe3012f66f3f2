import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { startLabServer, type LabServer } from '../../src/server-emu/lab-server';
import { ImcManager } from '../../src/tnccs-client/imc-manager';
import { OsImc } from '../../src/imcs/os/os-imc';
import { runClientHandshake, type HandshakeOutcome } from '../../src/tnccs-client/client';
import { RadiusCode } from '../../src/protocol/radius';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Recommendation } from '../../src/tnccs/types';
import { labPki } from '../helpers/pki';
import { makeLabPki } from '../../src/cli/commands/pki';
import { hostTree } from '../helpers/host-tree';
import { serverModeArgs, loopbackServer } from '../helpers/server-process';
import { runTtlsClient, type TtlsClientOptions } from '../helpers/ttls-client';

// The RADIUS PDP end to end on loopback: EAP-TTLS (node:tls both ends, records in EAP fragments)
// with PT-EAP inside carrying our PB-TNC client and OS IMC to the lab server's IMVs.
const dir = mkdtempSync(join(tmpdir(), 'tnc-radius-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const secret = Buffer.from('lab radius secret');
let server: LabServer;
const serverLog = new MemorySink();

before(async () => {
  const pki = await labPki();
  server = await startLabServer({
    ...loopbackServer(join(dir, 'policy.db'), pki),
    policy: 'default',
    log: new Logger(2, 'text', serverLog),
    idleTimeoutMs: 5000,
    radius: { host: '127.0.0.1', port: 0, secret },
  });
});
after(() => server.close());

async function client(name: string, o: Partial<TtlsClientOptions> & { forwarding?: '0' | '1' } = {}) {
  const pki = await labPki();
  const imcs = new ImcManager();
  imcs.add(new OsImc(hostTree(dir, name, { forwarding: o.forwarding })));
  const log = new Logger(2, 'text', new MemorySink());
  return runTtlsClient({
    port: server.radius!.port,
    secret,
    identity: 'client.lab',
    ca: pki.pem.ca,
    cert: pki.pem.clientCert,
    key: pki.pem.clientKey,
    runPbTnc: (channel) => runClientHandshake(imcs, channel, { connectionId: 1, language: 'en', log }),
    ...o,
  });
}

test('allow: Access-Accept with the TTLS MSK as MS-MPPE keys, PB-TNC over PT-EAP inside EAP-TTLS', async () => {
  const r = await client('allow');
  assert.equal(r.code, RadiusCode.ACCESS_ACCEPT, r.reply);
  assert.equal((r.pbTnc as HandshakeOutcome).access, 'allow');
  assert.ok(r.clientMsk && r.radiusMsk, 'both sides have an MSK');
  assert.ok(r.radiusMsk.equals(r.clientMsk), 'the MS-MPPE keys carry the MSK the TLS client derived');
  assert.equal(r.filterId, 'allow');
  for (const line of [
    "[IKE] received EAP identity 'client.lab'",
    "[IKE] EAP_TTLS peer authenticated by certificate 'client.lab'",
    '[IKE] phase2 method EAP_PT_EAP selected',
    '[IMV]   over IF-T for Tunneled EAP 2.0 with maximum PA-TNC message size of 65490 bytes',
    "[TNC] final recommendation is 'allow' and evaluation is 'don't know'",
    "[TNC] policy enforced on peer 'client.lab' is 'allow'",
    "[IKE] EAP_TTLS phase2 authentication of 'client.lab' with EAP_PT_EAP successful",
    '[IKE] EAP method EAP_TTLS succeeded, MSK established',
  ])
    assert.ok(serverLog.lines.includes(line), `server log lacks ${line}`);
});

test('without a client certificate the phase-2 EAP identity names the peer', async () => {
  const r = await client('nocert', { cert: undefined, key: undefined, identity: 'guest@lab' });
  assert.equal(r.code, RadiusCode.ACCESS_ACCEPT, r.reply);
  assert.ok(serverLog.lines.includes("[IKE] EAP_TTLS phase2 authentication of 'guest@lab' with EAP_PT_EAP successful"));
});

test('small fragments: a TLS flight in many EAP-TTLS fragments each way', async () => {
  const r = await client('frag', { fragmentSize: 64 });
  assert.equal(r.code, RadiusCode.ACCESS_ACCEPT, r.reply);
  assert.ok(r.roundTrips > 20, `${r.roundTrips} round trips`);
});

test("isolate and no access: Access-Reject with EAP-Failure and the IMV's reason", async () => {
  await server.store.addEnforcement(WorkitemType.FWDEN, '', { recFail: Recommendation.ISOLATE });
  const r = await client('router', { forwarding: '1' });
  assert.equal(r.code, RadiusCode.ACCESS_REJECT);
  assert.match(r.reply ?? '', /recommendation 'isolate'/);
  assert.equal(r.radiusMsk, undefined, 'no keys without Accept');
  assert.ok(serverLog.lines.includes("[TNC] policy enforced on peer 'client.lab' is 'isolate'"));
});

test('--radius-isolate accept: isolate becomes Access-Accept with Filter-Id isolate (the gateway restricts the group)', async () => {
  const pki = await labPki();
  const other = await startLabServer({
    ...loopbackServer(join(dir, 'isolate.db'), pki),
    policy: 'default',
    log: new Logger(2, 'text', serverLog),
    radius: { host: '127.0.0.1', port: 0, secret, isolate: 'accept' },
  });
  try {
    await other.store.addEnforcement(WorkitemType.FWDEN, '', { recFail: Recommendation.ISOLATE });
    const r = await client('isolated', { forwarding: '1', port: other.radius!.port });
    assert.equal(r.code, RadiusCode.ACCESS_ACCEPT, r.reply);
    assert.equal(r.filterId, 'isolate');
    assert.equal((r.pbTnc as HandshakeOutcome).access, 'isolate');
    assert.ok(r.radiusMsk?.equals(r.clientMsk!));
  } finally {
    await other.close();
  }
});

test('the CLI takes the RADIUS secret only from a file, and refuses an empty one', async () => {
  const pki = await labPki();
  const bin = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');
  const base = serverModeArgs(join(dir, 'cli.db'), pki, '--radius', '127.0.0.1:0');
  const run = (extra: string[]) =>
    spawnSync(process.execPath, [bin, ...base, ...extra], { encoding: 'utf8', timeout: 60_000 });
  assert.match(
    run([]).stderr,
    /--radius needs --radius-secret-file: the shared secret is read from a file, never from the command line/,
  );
  const empty = join(dir, 'empty.secret');
  writeFileSync(empty, '\n');
  assert.match(run(['--radius-secret-file', empty]).stderr, /the RADIUS shared secret is empty/);
  assert.match(
    run(['--radius-secret-file', empty, '--radius-isolate', 'maybe']).stderr,
    /--radius-isolate takes reject or accept/,
  );
});

test('a client certificate from another CA ends EAP-TTLS with Access-Reject, naming the certificate', async () => {
  const foreign = await makeLabPki({ out: join(dir, 'foreign-pki'), serverCn: 'x', clientCn: 'intruder', days: 2 });
  const r = await client('foreign', { cert: foreign.pem.clientCert, key: foreign.pem.clientKey });
  assert.equal(r.code, RadiusCode.ACCESS_REJECT);
  assert.match(
    r.reply ?? '',
    /TLS client authentication failed: certificate 'CN=intruder' is not signed by a configured CA/,
  );
  assert.equal(r.pbTnc, undefined, 'PB-TNC never started');
});
