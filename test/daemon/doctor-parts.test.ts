import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridgeServer } from '../../src/bridge';
import { buildConfig, parseIni } from '../../src/daemon/config';
import { bridgeCheck, swimaStoreCheck } from '../../src/daemon/doctor-parts';
import { formatCheck } from '../../src/daemon/doctor';
import { SwimaStore } from '../../src/imcs/swima/store';
import { Logger } from '../../src/log';

// doctor's IF-IMC bridge and SWIMA store lines against the real bridge server (a Unix socket) and
// a real SQLite SWIMA store.
const dir = mkdtempSync(join(tmpdir(), 'tnc-doctor-parts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (text: string) => buildConfig(parseIni(text, 'test.conf'));

test('the bridge socket passes only while the daemon serves it with a mode that keeps other users out', async () => {
  const socket = join(dir, 'run', 'imc.sock');
  const c = config(`[bridge]\nsocket = ${socket}\n`);
  const serve = (mode?: number) => startBridgeServer({ socketPath: socket, imcs: [], log: new Logger(-1), mode });

  let bridge = await serve();
  const good = await bridgeCheck(c);
  assert.deepEqual([good.ok, good.required], [true, true]);
  assert.match(
    formatCheck(good),
    new RegExp(`^✓ IF-IMC bridge socket: ${socket}: socket, mode 0660, owner \\S+, group \\S+, the daemon answers$`),
  );
  await bridge.close();

  bridge = await serve(0o666);
  assert.match(
    formatCheck(await bridgeCheck(c)),
    /^✗ .*mode 0666.*every local user can attach IMCs.*\(hint: the daemon makes it 0660/,
  );
  await bridge.close();
  bridge = await serve(0o600);
  assert.match((await bridgeCheck(c)).detail, /mode 0600.*its group cannot connect$/);
  await bridge.close();

  assert.match(
    formatCheck(await bridgeCheck(c)),
    /^✗ IF-IMC bridge socket: .*: not there: the daemon is not running \(hint: start it/,
  );
  // a daemon killed while serving leaves its socket file behind: present, right mode, nobody listening
  const killed = spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  assert.equal(killed.signal, 'SIGKILL');
  chmodSync(socket, 0o660);
  assert.match(
    formatCheck(await bridgeCheck(c)),
    /^✗ IF-IMC bridge socket: .*mode 0660.*: nobody answers \(ECONNREFUSED\): a stale socket .*\(hint: start the daemon/,
  );
  rmSync(socket);
  writeFileSync(socket, 'not a socket');
  assert.match((await bridgeCheck(c)).detail, /is not a socket$/);
});

test('without [bridge] socket the bridge line is optional', async () => {
  const off = await bridgeCheck(config('[bridge]\nsocket =\n'));
  assert.deepEqual([off.ok, off.required], [false, false]);
  assert.match(formatCheck(off), /^✗ IF-IMC bridge socket: not configured.*\(optional with this configuration\)/);
});

test('the SWIMA store: its epoch and last EID when present, makeable when missing, required only with [swima] enabled', async () => {
  const path = join(dir, 'state', 'swima.db');
  const enabled = config(`[swima]\nenabled = yes\nstore = ${path}\n`);
  const missing = await swimaStoreCheck(enabled);
  assert.deepEqual([missing.ok, missing.required], [true, true]);
  assert.match(missing.detail, new RegExp(`not made yet; ${dir} is writable`));

  const store = new SwimaStore(path);
  const eids = store.append(
    ['a', 'b', 'c'].map((p, i) => ({
      timestamp: '2026-01-01T00:00:00Z',
      action: i === 2 ? 2 : 1,
      swId: `sw-${i % 2}`,
      package: p,
      version: '1',
    })),
  );
  const epoch = store.epoch;
  store.close();
  const present = await swimaStoreCheck(enabled);
  assert.equal(present.ok, true);
  assert.equal(
    present.detail,
    `${path}: epoch 0x${epoch.toString(16).padStart(8, '0')}, last EID ${eids[2]}, 1 software identifiers installed`,
  );

  // the default place: swima.db in the state dir; SWIMA off makes the line optional
  const fromState = await swimaStoreCheck(config(`[state]\ndir = ${join(dir, 'state')}\n`));
  assert.deepEqual([fromState.ok, fromState.required, fromState.detail], [true, false, present.detail]);
});

test('a SWIMA store that is not one, or cannot be made, fails with a hint', async () => {
  const garbage = join(dir, 'garbage.db');
  writeFileSync(garbage, 'this is not SQLite');
  const bad = await swimaStoreCheck(config(`[swima]\nenabled = yes\nstore = ${garbage}\n`));
  assert.match(
    formatCheck(bad),
    /^✗ SWIMA store: .*garbage\.db: not a readable SWIMA store: .*\(hint: move it aside: the daemon makes a new store/,
  );
  const underFile = await swimaStoreCheck(
    config(`[swima]\nenabled = yes\nstore = ${join(garbage, 'sub', 'swima.db')}\n`),
  );
  assert.equal(underFile.ok, false);
  assert.match(underFile.detail, /garbage\.db is not a writable folder: ENOTDIR/);
});
