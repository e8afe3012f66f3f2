/**
 * A fleet: two `tnc-agent --server-mode` processes sharing one PostgreSQL database (a throwaway
 * cluster, test/helpers/postgres.ts), 100 agents over PT-TLS spread over them. Each agent attests
 * at both servers at the same moment, so every device's first contact races between the two
 * servers. The agents run the OS IMC only (no TPM: attestation per agent would take this test past
 * its time budget; the Attestation IMV's store calls are covered in test/policy and
 * test/attestation); the servers enforce PWDEN, so every session has a workitem to store.
 * One server reads the password from --db-password-file, the other from PGPASSWORD.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { attest } from '../../src/agent/attest';
import { hostOsSources } from '../../src/imcs/os/host-report';
import { silentLogger } from '../../src/log';
import { PolicyStore } from '../../src/policy/store';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Recommendation } from '../../src/tnccs/types';
import { POSTGRES } from '../helpers/engines';
import { labPki } from '../helpers/pki';
import { listeningPort, serverModeArgs, spawnServer, loopbackClient } from '../helpers/server-process';

const AGENTS = 100;
const AT_ONCE = 20;
const bin = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');

test(
  `two servers on one PostgreSQL, ${AGENTS} agents each attesting at both at once: all allowed, one device row each, a session per handshake`,
  { skip: POSTGRES.skip },
  async () => {
    const at = await POSTGRES.location();
    const seed = await PolicyStore.open(at.db, { passwordFile: at.passwordFile });
    await seed.addEnforcement(WorkitemType.PWDEN, '');
    await seed.close();
    const pki = await labPki();
    const password = (await import('node:fs')).readFileSync(at.passwordFile!, 'utf8').trim();
    const server = (auth: string[], env: NodeJS.ProcessEnv): ChildProcess =>
      spawnServer(bin, serverModeArgs(at.db, pki, ...auth, '--no-swima', '--no-attestation', '--log-level', '0'), env);
    const servers = [server(['--db-password-file', at.passwordFile!], {}), server([], { PGPASSWORD: password })];
    try {
      const ports = await Promise.all(servers.map(listeningPort));
      const handshake = async (device: number, port: number) =>
        attest({
          ...loopbackClient(port, pki),
          log: silentLogger,
          os: hostOsSources({ defaultPassword: false, deviceId: `fleet-device-${device}` }),
        });
      const outcomes = [];
      for (let from = 0; from < AGENTS; from += AT_ONCE) {
        const batch = Array.from({ length: Math.min(AT_ONCE, AGENTS - from) }, (_, i) => from + i);
        outcomes.push(...(await Promise.all(batch.flatMap((d) => ports.map((p) => handshake(d, p))))));
      }
      assert.equal(outcomes.length, AGENTS * 2);
      const denied = outcomes.filter((o) => o.access !== 'allow');
      assert.deepEqual(
        denied.map((o) => [o.access, ...o.reasons]),
        [],
        'every handshake allowed',
      );
    } finally {
      // SIGTERM: each server finishes its writes, closes its pool and exits
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) =>
              s.exitCode !== null ? resolve() : (s.once('exit', () => resolve()), s.kill('SIGTERM')),
            ),
        ),
      );
    }
    const store = await PolicyStore.open(at.db, { passwordFile: at.passwordFile });
    try {
      const n = async (sql: string) => (await store.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${sql}`))!.n;
      assert.equal(await n('devices'), AGENTS, 'one device row per device');
      assert.equal(await n("(SELECT DISTINCT value FROM devices WHERE value LIKE 'fleet-device-%') d"), AGENTS);
      assert.equal(await n('handshakes'), AGENTS * 2);
      assert.equal(await n('sessions'), AGENTS * 2, 'session count = handshakes');
      assert.equal(await n('sessions WHERE handshake IS NOT NULL'), AGENTS * 2, 'each session linked to its handshake');
      assert.equal(await n(`sessions WHERE rec = ${Recommendation.ALLOW}`), AGENTS * 2);
      assert.equal(await n(`handshakes WHERE rec = ${Recommendation.ALLOW} AND ended_ms IS NOT NULL`), AGENTS * 2);
      assert.equal(await n('results'), AGENTS * 2, 'every PWDEN result archived');
      assert.equal(await n('(SELECT device FROM sessions GROUP BY device HAVING COUNT(*) = 2) d'), AGENTS);
    } finally {
      await store.close();
    }
  },
);
