import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { OsImc } from '../../src/imcs/os/os-imc';
import { startBridgeServer } from '../../src/bridge';
import { encodeReply } from '../../src/bridge/protocol';
import { buildNative } from './native';
import { Harness, resultOf } from './harness-imc';
import { hostTree } from '../helpers/host-tree';

// The library must never hold the TNC client's (charon's) thread past TNC_AGENT_IMC_TIMEOUT_MS for
// one call, whatever the daemon does; measured from this side of the harness's pipe (so with a
// generous margin for process scheduling, never a tight timing assertion).
const dir = mkdtempSync(join(tmpdir(), 'tnc-deadline-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const native = buildNative();
const TIMEOUT_MS = 1000;
const MARGIN_MS = 1500;

/** A fake daemon on a Unix socket; `onSocket` decides how (badly) it answers. */
async function fakeDaemon(
  name: string,
  onSocket: (s: Socket) => void,
): Promise<{ path: string; server: Server; connections: () => number }> {
  const path = join(dir, `${name}.sock`);
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, server, connections: () => n };
}

async function timed(h: Harness, command: string): Promise<{ result: number; ms: number }> {
  const t0 = Date.now();
  const result = resultOf(await h.next(command));
  return { result, ms: Date.now() - t0 };
}

test('a hung daemon: each call fails within the deadline; then the library backs off instead of reconnecting', async () => {
  const held: Socket[] = [];
  const d = await fakeDaemon('hung', (s) => held.push(s)); // accepts, reads, never answers
  const h = new Harness(native.harness, native.library('os'), 1, {
    TNC_AGENT_IMC_SOCKET: d.path,
    TNC_AGENT_IMC_TIMEOUT_MS: String(TIMEOUT_MS),
  });
  try {
    assert.deepEqual(await h.next(), ['init 0 1', 'bind 0']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(d.connections(), 0, 'nothing connects at load');
    const first = await timed(h, 'create 1 65490 en');
    assert.equal(first.result, 9);
    assert.ok(first.ms < TIMEOUT_MS + MARGIN_MS, `the first call took ${first.ms} ms`);
    const second = await timed(h, 'begin 1');
    assert.equal(second.result, 9);
    assert.ok(second.ms < MARGIN_MS, `a call while backing off took ${second.ms} ms`);
    assert.equal(d.connections(), 1, 'no reconnect during the backoff');
  } finally {
    assert.equal(await h.quit(), 0);
    for (const s of held) s.destroy();
    d.server.close();
  }
  assert.ok(
    h.stderr.some((l) => l.includes('within TNC_AGENT_IMC_TIMEOUT_MS')),
    h.stderr.join('\n'),
  );
});

test('a daemon that trickles its answer one byte at a time cannot stretch a call past the deadline', async () => {
  const welcome = encodeReply({ kind: 'welcome', version: 1, subscriptions: [{ vendor: 0, subtype: 1 }] });
  const done = encodeReply({ kind: 'done', result: 0 });
  const timers: NodeJS.Timeout[] = [];
  const d = await fakeDaemon('trickle', (s) => {
    let requests = 0;
    s.on('data', () => {
      // every answer one byte per 300 ms: each single recv() finds data well within the timeout
      const answer = requests++ === 0 ? welcome : done;
      let i = 0;
      const t = setInterval(
        () => (i < answer.length && !s.destroyed ? s.write(answer.subarray(i, ++i)) : clearInterval(t)),
        300,
      );
      timers.push(t);
    });
  });
  const h = new Harness(native.harness, native.library('os'), 1, {
    TNC_AGENT_IMC_SOCKET: d.path,
    TNC_AGENT_IMC_TIMEOUT_MS: String(TIMEOUT_MS),
  });
  await h.next();
  const call = await timed(h, 'create 1 65490 en');
  assert.equal(call.result, 9, 'the WELCOME takes longer than the deadline: the call fails');
  assert.ok(
    call.ms < TIMEOUT_MS + MARGIN_MS,
    `the call took ${call.ms} ms (the whole answer takes ${welcome.length * 300} ms)`,
  );
  assert.equal(await h.quit(), 0);
  for (const t of timers) clearInterval(t);
  d.server.close();
});

test('a change seen by the daemon asks the TNC client for a handshake retry on an established connection (TNC_TNCC_RequestHandshakeRetry)', async () => {
  const log = new MemorySink();
  const path = join(dir, 'retry.sock');
  const bridge = await startBridgeServer({
    socketPath: path,
    imcs: [new OsImc(hostTree(dir, 'retry'))],
    log: new Logger(1, 'text', log),
  });
  const h = new Harness(native.harness, native.library('os'), 1, { TNC_AGENT_IMC_SOCKET: path });
  try {
    await h.next();
    assert.equal(resultOf(await h.next('create 5 65490 en')), 0);
    assert.equal(resultOf(await h.next('state 5 1')), 0);
    assert.equal(resultOf(await h.next('begin 5')), 0);
    assert.deepEqual(bridge.requestRetry('nothing decided yet'), [], 'a handshake in progress is not retried');
    assert.equal(resultOf(await h.next('state 5 2')), 0); // access allowed: the VPN is up
    let asked: number[] = [];
    for (let i = 0; i < 200 && asked.length === 0; i++) {
      asked = bridge.requestRetry('installed packages changed');
      if (asked.length === 0) await new Promise((r) => setTimeout(r, 25)); // the library's watch socket is still connecting
    }
    assert.deepEqual(asked, [5]);
    assert.equal(await h.line(/^retry /), 'retry 1 5 2'); // IMC 1, Connection ID 5, TNC_RETRY_REASON_IMC_INFORMATIONAL_EVENT
    assert.ok(
      log.lines.includes(
        '[TNC] asking the TNC client for a handshake retry on Connection ID 5 through IMC "OS": installed packages changed',
      ),
    );
    assert.equal(resultOf(await h.next('state 5 5')), 0);
    assert.deepEqual(bridge.requestRetry('deleted'), [], 'a deleted connection is not retried');
  } finally {
    assert.equal(await h.quit(), 0);
    await bridge.close();
  }
});

test('a TNC client without RequestHandshakeRetry: no watch socket, nothing asked', async () => {
  const path = join(dir, 'noretry.sock');
  const bridge = await startBridgeServer({
    socketPath: path,
    imcs: [new OsImc(hostTree(dir, 'noretry'))],
    log: new Logger(-1),
  });
  const h = new Harness(native.harness, native.library('os'), 1, { TNC_AGENT_IMC_SOCKET: path }, 'noretry');
  try {
    await h.next();
    assert.equal(resultOf(await h.next('create 5 65490 en')), 0);
    assert.equal(resultOf(await h.next('state 5 2')), 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(bridge.requestRetry('changed'), []);
  } finally {
    assert.equal(await h.quit(), 0);
    await bridge.close();
  }
});
