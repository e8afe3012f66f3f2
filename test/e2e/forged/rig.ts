import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink, silentLogger } from '../../../src/log';
import { attest } from '../../../src/agent/attest';
import { startLabServer, type LabServer } from '../../../src/server-emu/lab-server';
import { akDeviceId } from '../../../src/imcs/attestation';
import { extendLabEvidence } from '../../../src/lab';
import { decodeImaBinary, decodeImaFields } from '../../../src/measurements/ima';
import { HASH_ALG } from '../../../src/protocol/pa-tnc/tcg/pts';
import { AttestationStore } from '../../../src/policy/attestation';
import { PolicyStore } from '../../../src/policy/store';
import type { RecommendationPolicy } from '../../../src/policy/merge';
import { WorkitemType } from '../../../src/policy/workitem-types';
import { ALG } from '../../../src/tpm/constants';
import { Tpm } from '../../../src/tpm/tpm';
import { hostTree } from '../../helpers/host-tree';
import {
  listeningPort,
  loopbackServer,
  serverModeArgs,
  spawnServer,
  loopbackClient,
} from '../../helpers/server-process';
import { labPki } from '../../helpers/pki';
import { startSwtpm, type Swtpm } from '../../helpers/swtpm';
import { EXTRA_PCR4, ForgingImc, type Forge } from './forge';

export const LAB = join(__dirname, '..', '..', 'data', 'fixtures', 'vm', 'seabios');
export const OTHER_DEVICE = '0123456789abcdef0123456789abcdef01234567';
export type Target = 'in-process' | 'standalone';

const labFiles = () =>
  decodeImaBinary(readFileSync(join(LAB, 'binary_runtime_measurements')))
    .slice(1)
    .map((e) => decodeImaFields(e));
/** The file whose reference differs in product "Ubuntu 22.10 x86_64": a trojan on that endpoint. */
export const VICTIM = labFiles()[2].path;

/** The policy database a site would have: TPMRA BI enforced, the AK's device trusted, reference hashes for two products. */
async function preparePolicy(db: string, deviceId: string): Promise<void> {
  const store = await PolicyStore.open(db);
  await store.addEnforcement(WorkitemType.TPMRA, 'BI');
  await store.setTrusted(deviceId, true);
  await store.setTrusted(OTHER_DEVICE, true);
  const att = new AttestationStore(store);
  for (const [product, wrong] of [
    ['Ubuntu 22.04 x86_64', undefined],
    ['Ubuntu 22.10 x86_64', VICTIM],
  ]) {
    await att.importFileHashes(
      product!,
      labFiles().map((f) => ({
        path: f.path,
        algo: HASH_ALG.SHA256,
        hash: f.path === wrong ? Buffer.alloc(32, 0xee) : f.fileDigest.digest,
      })),
    );
  }
  await store.close();
}

interface Server {
  readonly port: number;
  close(): Promise<void>;
}

async function inProcess(
  db: string,
  pki: Awaited<ReturnType<typeof labPki>>,
  policy: RecommendationPolicy,
): Promise<Server> {
  const s: LabServer = await startLabServer({
    ...loopbackServer(db, pki),
    policy,
    log: new Logger(1, 'text', new MemorySink()),
    idleTimeoutMs: 5000,
    verifiers: { swima: true, attestation: {} },
  });
  return s;
}

/** `tnc-agent --server-mode` as its own process, on the same kind of database. */
async function standalone(db: string, pki: Awaited<ReturnType<typeof labPki>>): Promise<Server> {
  const bin = join(__dirname, '..', '..', '..', 'bin', 'tnc-agent.js');
  const child = spawnServer(bin, serverModeArgs(db, pki, '--idle-timeout', '5'));
  const port = await listeningPort(child);
  return { port, close: async () => void (child.kill('SIGTERM'), await new Promise((r) => child.once('exit', r))) };
}

/** A swtpm holding a real boot (the lab evidence), its AK trusted by a server of `target` kind. */
export interface Rig {
  readonly deviceId: string;
  run(forge?: Forge, version?: string): ReturnType<typeof attest>;
  /** The firmware changes: one more event in PCR 4 than the registered boot. */
  modifyBoot(): Promise<void>;
  close(): Promise<void>;
}

export async function startRig(target: Target, policy: RecommendationPolicy = 'default'): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-forged-'));
  const sw: Swtpm = await startSwtpm();
  const tpm = await Tpm.open(sw.tcti);
  await tpm.provisionAk();
  await extendLabEvidence(tpm, sw.tcti, LAB, silentLogger);
  const deviceId = await akDeviceId(tpm);
  const pki = await labPki();
  const db = join(dir, 'policy.db');
  await preparePolicy(db, deviceId);
  const server = await (target === 'in-process' ? inProcess(db, pki, policy) : standalone(db, pki));
  const imc = new ForgingImc({
    tpm,
    paths: {
      bootEventLog: join(LAB, 'binary_bios_measurements'),
      imaList: join(LAB, 'binary_runtime_measurements'),
      symlinkRoot: dir,
    },
  });
  return {
    deviceId,
    run: (forge, version = '22.04') => {
      imc.forge = forge;
      return attest({
        ...loopbackClient(server.port, pki),
        log: silentLogger,
        os: hostTree(dir, `host-${version}`, { version, deviceId }),
        moreImcs: [imc],
      });
    },
    modifyBoot: () => tpm.pcrExtend(4, [{ hash: ALG.SHA256, digest: EXTRA_PCR4 }]),
    close: async () => {
      await server.close();
      await tpm.close();
      await sw.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
