import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink, silentLogger } from '../../src/log';
import { startLabServer, type LabServer } from '../../src/server-emu/lab-server';
import { Daemon } from '../../src/daemon/daemon';
import { loadConfig } from '../../src/daemon/config';
import { osSources } from '../../src/daemon/parts';
import { akDeviceId } from '../../src/imcs/attestation';
import { extendLabEvidence } from '../../src/lab';
import { decodeImaBinary, decodeImaFields } from '../../src/measurements/ima';
import { AttestationStore } from '../../src/policy/attestation';
import { SwimaPolicy } from '../../src/policy/swima';
import { WorkitemType } from '../../src/policy/workitem-types';
import { connectPtTls } from '../../src/transport/pt-tls';
import { ImcManager } from '../../src/tnccs-client/imc-manager';
import { runClientHandshake } from '../../src/tnccs-client/client';
import { Tpm } from '../../src/tpm/tpm';
import { labPki } from '../helpers/pki';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { addPackage, dpkgTree, statusFile } from '../swima/fixture';
import { buildNative } from '../bridge/native';
import { Harness, HarnessImc } from '../bridge/harness-imc';
import { hostTree, logLine, serverSection } from './fixture';
import { loopbackServer } from '../helpers/server-process';

// The daemon with every part on: SWIMA collecting live from a fixture dpkg tree, the Attestation
// IMC on swtpm holding a real guest's boot (lab evidence), and the IF-IMC bridge. Against the lab
// server's OS, SWIMA and Attestation IMVs over real PT-TLS, and through the bridge with our C
// TNC-client harness loading the real imc-*.so libraries.
const LAB = join(__dirname, '..', 'data', 'fixtures', 'vm', 'seabios');
const dir = mkdtempSync(join(tmpdir(), 'tnc-daemon-all-'));
const dpkgRoot = dpkgTree(join(dir, 'root'), true);
const bridgeSocket = join(dir, 'run', 'imc.sock');
const daemonLog = new MemorySink();
const serverLog = new MemorySink();
let sw: Swtpm;
let server: LabServer;
let daemon: Daemon | undefined;
let deviceId: string;

async function provisionLabTpm(): Promise<string> {
  sw = await startSwtpm();
  const tpm = await Tpm.open(sw.tcti);
  try {
    await tpm.provisionAk();
    await extendLabEvidence(tpm, sw.tcti, LAB, silentLogger);
    return await akDeviceId(tpm);
  } finally {
    await tpm.close(); // the daemon opens its own context
  }
}

async function writeConfig(): Promise<string> {
  const file = join(dir, 'agent.conf');
  writeFileSync(
    file,
    [
      await serverSection(server.port),
      '[schedule]\ninterval = 1h\nretry-min = 100ms\nretry-max = 400ms\nsettle = 50ms',
      `[control]\nsocket =\n[state]\ndir = ${dir}/state\n[log]\nlevel = 1`,
      hostTree(dir, statusFile(dpkgRoot)),
      `[swima]\nenabled = yes\ndpkg-root = ${dpkgRoot}`,
      `[attestation]\nenabled = yes\ntcti = ${sw.tcti}\nima-list = ${LAB}/binary_runtime_measurements\nevent-log = ${LAB}/binary_bios_measurements`,
      `[bridge]\nsocket = ${bridgeSocket}`,
    ].join('\n'),
  );
  return file;
}

/** SWIDT and TPMRA for every device, the AK trusted, the lab list's digests as the product's reference hashes. */
async function seedPolicy(configFile: string): Promise<void> {
  await server.store.addEnforcement(WorkitemType.SWIDT, 'R');
  await server.store.addEnforcement(WorkitemType.TPMRA, 'BI');
  await server.store.setTrusted(deviceId, true);
  const r = await osSources(await loadConfig(configFile), deviceId).report();
  const refs = decodeImaBinary(readFileSync(join(LAB, 'binary_runtime_measurements')))
    .slice(1)
    .map((e) => decodeImaFields(e));
  await new AttestationStore(server.store).importFileHashes(
    `${r.product.name} ${r.version.version}`,
    refs.map((f) => ({ path: f.path, algo: 0x4000, hash: f.fileDigest.digest })),
  );
}

before(async () => {
  deviceId = await provisionLabTpm();
  const pki = await labPki();
  server = await startLabServer({
    ...loopbackServer(join(dir, 'policy.db'), pki),
    policy: 'default',
    log: new Logger(2, 'text', serverLog),
    idleTimeoutMs: 5000,
    verifiers: { swima: true, attestation: {} },
  });
  const configFile = await writeConfig();
  await seedPolicy(configFile);
  daemon = await Daemon.start({ configFile, sink: daemonLog, random: () => 1 });
});

after(async () => {
  await daemon?.stop();
  await server?.close();
  await sw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const serverHas = (re: RegExp, from: number) =>
  assert.ok(
    serverLog.lines.slice(from).some((l) => re.test(l)),
    `server log lacks ${re}:\n${serverLog.lines
      .slice(from)
      .filter((l) => /workitem|SW ID|software ID/.test(l))
      .join('\n')}`,
  );

test('on start the daemon attests with OS, SWIMA and TPM evidence and is allowed', async () => {
  await logLine(daemonLog, /^\[DMN\] attestation done: recommendation 'allow', evaluation 'compliant'$/);
  serverHas(/received software ID inventory with 781 items for request \d+/, 0);
  serverHas(/handled SWIDT workitem \d+: allow - received inventory of 781 SW IDs/, 0);
  serverHas(
    /handled TPMRA workitem \d+: allow - registered IMA boot aggregate evidence measurement; processed \d+ IMA file evidence measurements: \d+ ok, 0 unknown, 0 differ, 0 failed/,
    0,
  );
  assert.ok(
    serverLog.lines.includes(`[IMV] device ID is ${deviceId}`),
    'the OS IMC reports the AK key ID as device ID',
  );
});

test('a package install is collected live and re-attested with no restart; the SWIMA IMV sees the new event', async () => {
  await logLine(daemonLog, /^\[DMN\] attestation done/);
  const mark = daemonLog.lines.length;
  const serverMark = serverLog.lines.length;
  addPackage(dpkgRoot, 'telnet', '0.17+2.4-2');
  await logLine(daemonLog, /^\[IMC\] collected 1 SW ID events, last eid \d+$/, mark);
  await logLine(daemonLog, /^\[DMN\] attesting to .* \(installed packages changed\)$/, mark);
  await logLine(daemonLog, /^\[DMN\] attestation done: recommendation 'allow'/, mark);
  serverHas(/received software ID events with 1 items for request \d+/, serverMark);
  serverHas(/handled SWIDT workitem \d+: allow - received 1 SW ID events/, serverMark);
  assert.ok(
    (await SwimaPolicy.of(server.store).inventory(deviceId)).includes(
      'strongswan.org__Debian_12-x86_64-telnet-0.17~2.4-2',
    ),
  );
});

test('the IF-IMC bridge is up while the daemon runs: OS, SWIMA and Attestation through the C libraries end allow', async () => {
  assert.equal(daemon!.status().server, `127.0.0.1:${server.port}`);
  const native = buildNative();
  // a generous per-call bound: the Attestation IMC quotes with swtpm on a shared CI machine
  const env = { TNC_AGENT_IMC_SOCKET: bridgeSocket, TNC_AGENT_IMC_TIMEOUT_MS: '30000' };
  const harnesses = (['os', 'swima', 'attestation'] as const).map(
    (name, i) => new Harness(native.harness, native.library(name), i + 1, env),
  );
  try {
    const imcs = new ImcManager();
    for (const h of harnesses) {
      await h.next();
      imcs.add(new HarnessImc(h));
    }
    const pki = await labPki();
    const channel = await connectPtTls({
      host: '127.0.0.1',
      port: server.port,
      cert: readFileSync(pki.files.clientCert, 'utf8'),
      key: readFileSync(pki.files.clientKey, 'utf8'),
      ca: readFileSync(pki.files.caCert, 'utf8'),
      log: silentLogger,
    });
    const mark = serverLog.lines.length;
    const outcome = await runClientHandshake(imcs, channel, { connectionId: 11, language: 'en', log: silentLogger });
    assert.equal(outcome.access, 'allow', outcome.reasons.join('; '));
    serverHas(/handled TPMRA workitem \d+: allow/, mark);
    serverHas(/handled SWIDT workitem \d+: allow/, mark);
    for (const name of ['OS', 'SWIMA', 'Attestation'])
      assert.ok(
        daemonLog.lines.some(
          (l) => l.startsWith(`[TNC] IMC `) && l.endsWith(`"${name}" attached over the IF-IMC bridge`),
        ),
        `${name} did not attach`,
      );
  } finally {
    for (const h of harnesses) assert.equal(await h.quit(), 0);
  }
});
