import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink, silentLogger } from '../../src/log';
import { attest } from '../../src/agent/attest';
import { startLabServer } from '../../src/server-emu/lab-server';
import { hostOsSources } from '../../src/imcs/os/host-report';
import { networkIdentity } from '../../src/imcs/os/host-identity';
import { labPki } from '../helpers/pki';
import { hostTree } from '../helpers/host-tree';
import { WorkitemType } from '../../src/policy/workitem-types';
import { loopbackServer, loopbackClient } from '../helpers/server-process';

// What the OS IMC tells the endpoint's operator in a real handshake (PT-TLS on loopback): its
// hardware, the address the server should see as the machine AR identity, and each OS fact it
// could not read (the fallback's problem), besides what it sends.
type LabServer = Awaited<ReturnType<typeof startLabServer>>;
type Pki = Awaited<ReturnType<typeof labPki>>;

/** Runs `fn` with a lab server on loopback and a temporary directory, both gone afterwards. */
async function withLabServer(fn: (server: LabServer, pki: Pki, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-os-log-'));
  const pki = await labPki();
  const server = await startLabServer({
    ...loopbackServer(join(dir, 'p.db'), pki),
    policy: 'default',
    log: silentLogger,
    idleTimeoutMs: 2000,
  });
  try {
    await fn(server, pki, dir);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the OS IMC logs the endpoint hardware, the machine address and the facts it could not read', () =>
  withLabServer(async (server, pki, dir) => {
    const run = async (os: ReturnType<typeof hostOsSources>) => {
      const sink = new MemorySink();
      const outcome = await attest({
        ...loopbackClient(server.port, pki),
        log: new Logger(1, 'text', sink),
        os,
      });
      assert.equal(outcome.access, 'allow');
      return sink.lines;
    };
    const complete = await run(hostTree(dir, 'complete'));
    assert.equal(complete.filter((l) => l.startsWith('[IMC] endpoint hardware: ')).length, 1, complete.join('\n'));
    const address = (await networkIdentity()).machineAddress;
    assert.ok(
      complete.includes(
        `[IMC] machine address ${address ? `'${address.address}' of type IPv4 address on ${address.iface}${address.defaultRoute ? ' (default route)' : ''}` : 'unknown: no IPv4 address on an interface other than loopback'}`,
      ),
      complete.join('\n'),
    );
    assert.ok(!complete.some((l) => l.includes('OS facts:')), 'nothing missing, nothing logged');
    const noBtime = hostOsSources({
      defaultPassword: false,
      machine: 'x86_64',
      deviceId: 'os-log-test',
      paths: {
        osRelease: join(dir, 'complete', 'os-release'),
        procStat: join(dir, 'none'),
        ipv4Forward: join(dir, 'complete', 'proc', 'ip_forward'),
        ipv6Forward: join(dir, 'complete', 'proc', 'forwarding6'),
        machineId: join(dir, 'complete', 'machine-id'),
      },
    });
    const lines = await run(noBtime);
    assert.ok(lines.includes(`[IMC] OS facts: cannot read '${join(dir, 'none')}': ENOENT`), lines.join('\n'));
  }));

test('the dpkg status is read only when the IMV asks for installed packages; what cannot be read is logged then', () =>
  withLabServer(async (server, pki, dir) => {
    const run = async () => {
      const sink = new MemorySink();
      const os = hostOsSources({
        defaultPassword: false,
        machine: 'x86_64',
        deviceId: 'os-log-test',
        paths: { osRelease: join(dir, 'complete', 'os-release'), dpkgStatus: join(dir, 'no-dpkg') },
      });
      await attest({ ...loopbackClient(server.port, pki), log: new Logger(1, 'text', sink), os });
      return sink.lines.filter((l) => l.includes('no-dpkg'));
    };
    hostTree(dir, 'complete'); // writes the os-release file the sources read
    assert.deepEqual(await run(), [], 'no PCKGS workitem: the IMV does not ask, the file is not read');
    await server.store.addEnforcement(WorkitemType.PCKGS, '');
    assert.deepEqual(await run(), [`[IMC] OS facts: cannot read '${join(dir, 'no-dpkg')}': ENOENT`]);
  }));
