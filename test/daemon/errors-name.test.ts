import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError, parseIni } from '../../src/daemon/config';
import { startControlServer } from '../../src/daemon/control';
import { startBridgeServer } from '../../src/bridge';
import { attest } from '../../src/agent/attest';
import { PolicyStore } from '../../src/policy/store';
import { SwimaStore } from '../../src/imcs/swima/store';
import { Logger } from '../../src/log';
import { labPki } from '../helpers/pki';

const dir = mkdtempSync(join(tmpdir(), 'errors-name-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const long = `/tmp/${'x'.repeat(120)}.sock`;

test('a socket path over 107 bytes is a clear error naming the option, at config time and at bind time', async () => {
  assert.throws(
    () => buildConfig(parseIni(`[bridge]\nsocket = ${long}\n`, 'a.conf')),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message ===
        `a.conf:2: [bridge] socket: the path is ${long.length} bytes, a Unix socket path can have at most 107`,
  );
  assert.throws(
    () => buildConfig(parseIni(`[control]\nsocket = ${long}\n`, 'a.conf')),
    /\[control\] socket: the path is 130 bytes/,
  );
  await assert.rejects(
    startControlServer(long, async () => ({})),
    /control socket \/tmp\/x+\.sock: the path is 130 bytes/,
  );
  await assert.rejects(
    startBridgeServer({ socketPath: long, imcs: [], log: new Logger(-1) }),
    /IF-IMC bridge socket .*: the path is 130 bytes/,
  );
});

test('a certificate option naming a file that is not PEM says which file', async () => {
  const pki = await labPki();
  const notPem = join(dir, 'shadow');
  writeFileSync(notPem, 'root:$y$j9T$secret:19700:0:99999:7:::\n');
  const base = {
    host: '127.0.0.1',
    port: 1,
    language: 'en',
    log: new Logger(-1),
    os: {} as never,
    ca: pki.files.caCert,
    cert: pki.files.clientCert,
    key: pki.files.clientKey,
  };
  await assert.rejects(
    attest({ ...base, cert: notPem }),
    (e: Error) =>
      e.message === `certificate '${notPem}' is not PEM (no -----BEGIN line)` && !e.message.includes('secret'),
  );
  await assert.rejects(
    attest({ ...base, key: pki.files.clientCert }),
    new RegExp(`key '${pki.files.clientCert}' cannot be used`),
  );
  await assert.rejects(attest({ ...base, ca: notPem }), /CA certificate '.*shadow' is not PEM/);
});

test('a corrupt policy database or SWIMA store is named in the error', async () => {
  const bad = join(dir, 'corrupt.db');
  writeFileSync(bad, Buffer.alloc(4096, 0x41));
  await assert.rejects(PolicyStore.open(bad), (e: Error) =>
    e.message.startsWith(`policy database '${bad}': file is not a database`),
  );
  assert.throws(
    () => new SwimaStore(bad),
    (e: Error) => e.message.startsWith(`SWIMA store '${bad}': file is not a database`),
  );
});

test('new stores are created 0600 (policy) and 0640 (SWIMA) whatever the umask', async () => {
  const old = process.umask(0);
  try {
    await (await PolicyStore.open(join(dir, 'p.db'))).close();
    new SwimaStore(join(dir, 's.db')).close();
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(join(dir, 'p.db')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 's.db')).mode & 0o777, 0o640);
});
