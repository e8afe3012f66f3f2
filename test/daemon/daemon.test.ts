import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { startLabServer, type LabServer } from '../../src/server-emu/lab-server';
import { Daemon } from '../../src/daemon/daemon';
import { requestDaemon } from '../../src/daemon/control';
import { labPki } from '../helpers/pki';
import { hostTree, logLine, serverSection } from './fixture';
import { loopbackServer } from '../helpers/server-process';

// The daemon against the lab server over real PT-TLS, with a host tree the test writes and a real
// dpkg status file it changes, a real control socket and real signals' handlers (called directly).
const dir = mkdtempSync(join(tmpdir(), 'tnc-daemon-'));
const socket = join(dir, 'run', 'control.sock');
const dpkgStatus = join(dir, 'dpkg', 'status');
let server: LabServer;
const sink = new MemorySink();

async function writeConfig(port: number): Promise<string> {
  const file = join(dir, 'agent.conf');
  writeFileSync(
    file,
    [
      await serverSection(port),
      '[schedule]\ninterval = 1h\nretry-min = 100ms\nretry-max = 400ms\nsettle = 50ms',
      `[control]\nsocket = ${socket}`,
      `[bridge]\nsocket = ${dir}/run/imc.sock`,
      `[state]\ndir = ${dir}/state`,
      '[log]\nlevel = 1',
      osSection,
    ].join('\n'),
  );
  return file;
}

let osSection: string;
before(async () => {
  osSection = hostTree(dir);
  const pki = await labPki();
  server = await startLabServer({
    ...loopbackServer(join(dir, 'policy.db'), pki),
    policy: 'default',
    log: new Logger(-1),
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('attests on start, on request over the socket, and after a package install', async () => {
  const umask = process.umask(0);
  const daemon = await Daemon.start({ configFile: await writeConfig(server.port), sink, random: () => 1 });
  try {
    await logLine(sink, /^\[DMN\] attestation done: recommendation 'allow'/);
    process.umask(umask);
    const saved = JSON.parse(readFileSync(join(dir, 'state', 'last-attestation.json'), 'utf8')) as {
      ok: boolean;
      reason: string;
    };
    assert.deepEqual([saved.ok, saved.reason], [true, 'start']);
    assert.equal(
      statSync(join(dir, 'state', 'last-attestation.json')).mode & 0o777,
      0o640,
      'the state file is 0640 whatever the umask',
    );
    const answer = await requestDaemon(socket, 'attest');
    assert.equal((answer.last as { reason: string }).reason, 'requested on the control socket');
    assert.equal(answer.server, `127.0.0.1:${server.port}`);
    assert.ok(answer.next, 'the next scheduled run is planned');
    const mark = sink.lines.length;
    appendFileSync(
      dpkgStatus,
      '\nPackage: hello\nStatus: install ok installed\nVersion: 2.10-3\nArchitecture: amd64\n',
    );
    await logLine(sink, /^\[DMN\] attesting to .* \(installed packages changed\)$/, mark);
    await logLine(sink, /^\[DMN\] attestation done/, mark);
    assert.deepEqual(
      await requestDaemon(socket, 'status').then((s) => (s.last as { reason: string }).reason),
      'installed packages changed',
    );
  } finally {
    process.umask(umask);
    await daemon.stop();
  }
  assert.ok(!existsSync(socket), 'stop removes the control socket');
});

test('failures back off exponentially; a reload with the right server recovers; a bad reload keeps the old config', async () => {
  const file = await writeConfig(1);
  const daemon = await Daemon.start({ configFile: file, sink, random: () => 1 });
  try {
    const mark = sink.lines.length;
    await logLine(sink, /^\[DMN\] retrying in 400ms \(3 consecutive failures\)$/, mark);
    const retries = sink.lines
      .slice(mark)
      .filter((l) => l.startsWith('[DMN] retrying in'))
      .slice(0, 3);
    assert.deepEqual(retries, [
      '[DMN] retrying in 100ms (1 consecutive failures)',
      '[DMN] retrying in 200ms (2 consecutive failures)',
      '[DMN] retrying in 400ms (3 consecutive failures)',
    ]);
    assert.ok(sink.lines.slice(mark).some((l) => /^\[DMN\] attestation failed: .*ECONNREFUSED/.test(l)));
    writeFileSync(file, '[server]\naddress = oops:port:x\n');
    assert.equal(await daemon.reload(), false);
    assert.ok(sink.lines.some((l) => l.startsWith('[CFG] reload failed, keeping the running configuration:')));
    assert.equal(daemon.status().server, '127.0.0.1:1');
    await writeConfig(server.port);
    const again = sink.lines.length;
    assert.equal((await requestDaemon(socket, 'reload')).reloaded, true);
    await logLine(sink, /^\[DMN\] attestation done: recommendation 'allow'/, again);
    await logLine(sink, /^\[DMN\] next attestation in 1h$/, again);
    assert.equal(daemon.status().consecutiveFailures, 0);
  } finally {
    await daemon.stop();
  }
});

test('without a server address the daemon idles and says how to configure it', async () => {
  const file = join(dir, 'idle.conf');
  writeFileSync(file, `[control]\nsocket = ${socket}\n[bridge]\nsocket =\n[state]\ndir = ${dir}/idle-state\n`);
  const daemon = await Daemon.start({ configFile: file, confDir: join(dir, 'none'), sink });
  try {
    await logLine(
      sink,
      /^\[DMN\] no \[server\] address configured in .*idle\.conf: idle until the configuration is reloaded/,
    );
    assert.match(String((await requestDaemon(socket, 'attest')).error), /no server configured/);
    assert.deepEqual(await requestDaemon(socket, 'status').then((s) => [s.server, s.last]), [null, null]);
  } finally {
    await daemon.stop();
  }
});

test('a package change while a VPN connection is up asks charon (here the C harness) for a handshake retry through the bridge', async () => {
  const { buildNative } = await import('../bridge/native');
  const { Harness, resultOf } = await import('../bridge/harness-imc');
  const native = buildNative();
  const daemon = await Daemon.start({ configFile: await writeConfig(server.port), sink, random: () => 1 });
  const h = new Harness(native.harness, native.library('os'), 1, {
    TNC_AGENT_IMC_SOCKET: join(dir, 'run', 'imc.sock'),
  });
  try {
    await logLine(sink, /^\[DMN\] attestation done/);
    await h.next();
    const mark = sink.lines.length;
    for (const cmd of ['create 9 65490 en', 'state 9 1', 'begin 9', 'state 9 2'])
      assert.equal(resultOf(await h.next(cmd)), 0, cmd);
    await logLine(sink, /^\[TNC\] IMC 1 "OS" watches for handshake retries over the IF-IMC bridge$/, mark);
    appendFileSync(dpkgStatus, '\nPackage: nano\nStatus: install ok installed\nVersion: 7.2-1\nArchitecture: amd64\n');
    await logLine(
      sink,
      /^\[TNC\] asking the TNC client for a handshake retry on Connection ID 9 through IMC "OS": installed packages changed$/,
      mark,
    );
    assert.equal(await h.line(/^retry /), 'retry 1 9 2');
  } finally {
    await h.quit();
    await daemon.stop();
  }
});
