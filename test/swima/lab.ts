import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Logger, MemorySink } from '../../src/log';
import { attest } from '../../src/agent/attest';
import { LabServer, startLabServer } from '../../src/server-emu/lab-server';
import { hostOsSources } from '../../src/imcs/os/host-report';
import { SwCollector } from '../../src/imcs/swima/collector';
import { SwimaImc, SwimaImcOptions } from '../../src/imcs/swima/swima-imc';
import { SwimaStore } from '../../src/imcs/swima/store';
import { SwimaImv } from '../../src/imvs/swima/swima-imv';
import { SwimaPolicy } from '../../src/policy/swima';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Recommendation, type Imc, type Imv } from '../../src/tnccs/types';
import { labPki } from '../helpers/pki';
import { DEBIAN_12, dpkgTree } from './fixture';
import { loopbackServer, loopbackClient } from '../helpers/server-process';

// The SWIMA IMC against the lab server over real PT-TLS on loopback, with fixture dpkg trees.
export const dir = mkdtempSync(join(tmpdir(), 'tnc-swima-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** OS facts of a Debian 12 endpoint, from files under the test directory. */
export function osTree(): ReturnType<typeof hostOsSources> {
  const root = join(dir, 'os');
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'os-release'), 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n');
  for (const [f, v] of [
    ['ip_forward', '0'],
    ['forwarding6', '0'],
    ['stat', 'cpu 1\nbtime 1700000000'],
  ])
    writeFileSync(join(root, 'proc', f), `${v}\n`);
  writeFileSync(join(root, 'machine-id'), 'fedcba9876543210fedcba9876543210\n');
  const p = (f: string) => join(root, 'proc', f);
  return hostOsSources({
    defaultPassword: false,
    machine: 'x86_64',
    paths: {
      osRelease: join(root, 'os-release'),
      ipv4Forward: p('ip_forward'),
      ipv6Forward: p('forwarding6'),
      procStat: p('stat'),
      machineId: join(root, 'machine-id'),
      dpkgStatus: join(root, 'none'),
    },
  });
}

export interface Lab {
  server: LabServer;
  policy?: SwimaPolicy;
  log: MemorySink;
}

/** A lab server with a SWIDT enforcement of `argument`; `imvs` replaces our SWIMA IMV (test IMVs). */
export async function lab(name: string, argument: string, imvs?: () => Imv[]): Promise<Lab> {
  const pki = await labPki();
  const l: Partial<Lab> = { log: new MemorySink() };
  l.server = await startLabServer({
    ...loopbackServer(join(dir, `${name}.db`), pki),
    policy: 'default',
    log: new Logger(2, 'text', l.log),
    idleTimeoutMs: 5000,
    moreImvs: (sessions) => {
      if (imvs) return imvs();
      l.policy = SwimaPolicy.of(sessions.store);
      return [new SwimaImv(sessions, l.policy)];
    },
  });
  await l.server.store.addEnforcement(WorkitemType.SWIDT, argument, { recFail: Recommendation.NO_ACCESS });
  return l as Lab;
}

export async function handshake(l: Lab, imc: Imc) {
  const pki = await labPki();
  const sink = new MemorySink();
  const outcome = await attest({
    ...loopbackClient(l.server.port, pki),
    log: new Logger(2, 'text', sink),
    os: osTree(),
    moreImcs: [imc],
  });
  return { outcome, lines: sink.lines };
}

/** An endpoint: a dpkg tree from the real Debian 12 status file, its event store and its SWIMA IMC. */
export function agent(name: string, more: Partial<SwimaImcOptions> = {}) {
  const root = dpkgTree(join(dir, name), true);
  const store = new SwimaStore(join(dir, name, 'swima.db'));
  const collector = new SwCollector({ root, store, os: DEBIAN_12 });
  return { root, store, collector, imc: new SwimaImc({ store, collector, os: DEBIAN_12, ...more }) };
}

export const has = (lines: string[], re: RegExp) =>
  assert.ok(
    lines.some((l) => re.test(l)),
    `log lacks ${re}: \n${lines.filter((l) => l.includes('[IMV]') || l.includes('[IMC]')).join('\n')}`,
  );
