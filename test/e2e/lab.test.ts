import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { attest } from '../../src/agent/attest';
import { LabServer, startLabServer } from '../../src/server-emu/lab-server';
import { hostOsSources } from '../../src/imcs/os/host-report';
import { WorkitemType } from '../../src/policy/workitem-types';
import { PackageStore } from '../../src/policy/packages';
import { parseAptPackagesIndex } from '../../src/policy/package-sources';
import { Recommendation } from '../../src/tnccs/types';
import type { FinalVerdict } from '../../src/tnccs/types';
import { labPki } from '../helpers/pki';
import { hostTree as sharedHostTree } from '../helpers/host-tree';
import { loopbackServer, loopbackClient } from '../helpers/server-process';

// The agent against the lab server over real PT-TLS on loopback, with the OS facts read from a
// host tree the test writes (os-release, /proc files, a real dpkg status file).
const dir = mkdtempSync(join(tmpdir(), 'tnc-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hostTree = (name: string, forwarding: '0' | '1') => sharedHostTree(dir, name, { forwarding });

let server: LabServer;
const serverLog = new MemorySink();
const verdicts: (FinalVerdict | undefined)[] = [];

before(async () => {
  const pki = await labPki();
  server = await startLabServer({
    ...loopbackServer(join(dir, 'policy.db'), pki),
    policy: 'default',
    log: new Logger(2, 'text', serverLog),
    idleTimeoutMs: 2000,
    pdpReferral: { fqdn: 'pdp.lab.example', port: 271 },
    remediationUri: 'https://remediation.lab.example/fix',
    onVerdict: (v) => verdicts.push(v),
  });
});
after(() => server.close());

async function runAgent(os: ReturnType<typeof hostOsSources>) {
  const pki = await labPki();
  const sink = new MemorySink();
  const outcome = await attest({
    ...loopbackClient(server.port, pki),
    log: new Logger(2, 'text', sink),
    os,
  });
  return { outcome, lines: sink.lines };
}

test("without OS workitems the OS IMV answers allow / don't know, as in the seed", async () => {
  const { outcome } = await runAgent(hostTree('plain', '0'));
  assert.equal(outcome.access, 'allow');
  for (const line of [
    "[IMV] operating system name is 'Ubuntu' from vendor Canonical",
    "[IMV] operating system version is '22.04 x86_64'",
    '[IMV] IPv4 forwarding is disabled',
    '[IMV] IMV 1 has no workitems - no evaluation requested',
    "[TNC] IMV 1 provides recommendation 'allow' and evaluation 'don't know'",
  ])
    assert.ok(serverLog.lines.includes(line), `server log lacks ${line}`);
});

test('FWDEN and PCKGS workitems: allow when clean, not when forwarding is on or a package is blocklisted', async () => {
  await server.store.addEnforcement(WorkitemType.FWDEN, '', { recFail: Recommendation.ISOLATE });
  await server.store.addEnforcement(WorkitemType.PCKGS, '', { recFail: Recommendation.NO_ACCESS });
  const clean = await runAgent(hostTree('clean', '0'));
  assert.equal(clean.outcome.access, 'allow');
  assert.ok(
    serverLog.lines.some((l) =>
      /IMV 1 handled PCKGS workitem \d+: allow - (\d+) packages checked: 0 ok, \1 unknown, 0 vulnerable, 0 blocklisted$/.test(
        l,
      ),
    ),
  );
  assert.deepEqual(clean.outcome.remediation, [], 'remediation parameters come only with a verdict other than allow');
  const forwarding = await runAgent(hostTree('router', '1'));
  assert.equal(forwarding.outcome.access, 'isolate');
  assert.deepEqual(forwarding.outcome.remediation, ['https://remediation.lab.example/fix']);
  await server.store.setPackageBlocklisted('bash', true);
  const blocked = await runAgent(hostTree('blocked', '0'));
  assert.equal(blocked.outcome.access, 'no access');
  assert.ok(serverLog.lines.some((l) => l.includes('blocklisted packages: bash')));
  assert.equal(verdicts.at(-1)?.recommendation, Recommendation.NO_ACCESS);
  await server.store.setPackageBlocklisted('bash', false);
});

test("PCKGS against the security suite's versions: a package below its security update is vulnerable, named in the result", async () => {
  const index = readFileSync(join(__dirname, '..', 'data', 'fixtures', 'apt', 'bookworm-security-Packages'), 'utf8');
  new PackageStore(server.store).importSecurityVersions('Ubuntu 22.04 x86_64', parseAptPackagesIndex(index));
  const from = serverLog.lines.length;
  const { outcome } = await runAgent(hostTree('outdated', '0'));
  assert.equal(outcome.access, 'no access');
  const lines = serverLog.lines.slice(from);
  assert.ok(
    lines.includes("[IMV] package 'openssl' (3.0.22-1~deb12u2) is vulnerable: security update 3.0.23-1~deb12u1"),
    lines.join('\n'),
  );
  const result = lines.find((l) => l.includes('handled PCKGS workitem'));
  assert.match(
    result ?? '',
    /: no access - 2 vulnerable packages: libssl3 3\.0\.22-1~deb12u2 \(security update 3\.0\.23-1~deb12u1\), openssl 3\.0\.22-1~deb12u2 \(security update 3\.0\.23-1~deb12u1\); \d+ packages checked: 2 ok, \d+ unknown, 2 vulnerable, 0 blocklisted$/,
  );
  const archived = (await server.store.listResults()).at(-1);
  assert.match(archived?.result ?? '', /vulnerable packages: libssl3 .*openssl/);
  new PackageStore(server.store).importSecurityVersions('Ubuntu 22.04 x86_64', [
    { name: 'openssl', version: '3.0.22-1~deb12u2' },
    { name: 'libssl3', version: '3.0.22-1~deb12u2' },
  ]);
  assert.equal(
    (await runAgent(hostTree('outdated', '0'))).outcome.access,
    'no access',
    'an older security version does not replace a newer one',
  );
});

test('the server keeps serving after garbage on the socket and a client that vanishes mid-handshake', async () => {
  await new Promise<void>((resolve) => {
    const s = connect(server.port, '127.0.0.1', () => s.end(Buffer.from('GET / HTTP/1.0\r\n\r\n')));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  const { outcome } = await runAgent(hostTree('after-garbage', '0'));
  assert.ok(outcome.access);
});

test('a server that is gone makes attest fail with a clear error', async () => {
  const pki = await labPki();
  await assert.rejects(
    attest({
      ...loopbackClient(1, pki),
      log: new Logger(-1),
      os: hostTree('nosrv', '0'),
    }),
    /ECONNREFUSED|refused/i,
  );
});

test('the client\'s language preference reaches the server once, as "en"', () => {
  assert.ok(serverLog.lines.includes("[TNC] setting language preference to 'en'"));
});

test('a configured PDP referral reaches the client in the first SDATA', async () => {
  // the PCKGS workitem enforced above makes the server answer with an SDATA before its RESULT
  const { outcome } = await runAgent(hostTree('referral', '0'));
  assert.match(outcome.pdpReferral ?? '', /pdp\.lab\.example/);
});
