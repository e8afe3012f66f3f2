import { ALL_CODECS } from '../../src/protocol/codecs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MemorySink, silentLogger } from '../../src/log';
import { attest } from '../../src/agent/attest';
import { LabServer, startLabServer } from '../../src/server-emu/lab-server';
import { AttestationImc, akDeviceId } from '../../src/imcs/attestation';
import { extendLabEvidence } from '../../src/lab';
import { decodeImaBinary, decodeImaFields, encodeImaEntry } from '../../src/measurements/ima';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { SimpleEvidenceFinalAttr } from '../../src/protocol/pa-tnc/tcg/pts';
import { AttestationImv } from '../../src/imvs/attestation';
import { AttestationStore } from '../../src/policy/attestation';
import { WorkitemType } from '../../src/policy/workitem-types';
import { Tpm } from '../../src/tpm/tpm';
import type { Imc, PaEnvelope, TnccsHost } from '../../src/tnccs/types';
import { labPki } from '../helpers/pki';
import { hostTree as sharedHostTree } from '../helpers/host-tree';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { loopbackServer, loopbackClient } from '../helpers/server-process';

// Agent (OS + Attestation IMC) against the lab server (OS + Attestation IMV) over PT-TLS, on swtpm
// whose PCRs hold a real guest's boot (test/data/fixtures/vm/seabios, lab evidence mode).
const LAB = join(__dirname, '..', 'data', 'fixtures', 'vm', 'seabios');
const PRODUCT = 'Ubuntu 22.04 x86_64';
const dir = mkdtempSync(join(tmpdir(), 'tnc-e2e-att-'));
const serverLog = new MemorySink();
let sw: Swtpm;
let tpm: Tpm;
let server: LabServer;
let deviceId: string;

/** The OS facts the OS IMC reports; the version names the product whose reference hashes apply. */
const hostTree = (version = '22.04') => sharedHostTree(dir, `host-${version}`, { version, deviceId });

/** A copy of the lab IMA list changed by `edit` (the TPM keeps the original's PCR 10). */
function imaCopy(name: string, edit: (list: Buffer[]) => Buffer[]): string {
  const entries = decodeImaBinary(readFileSync(join(LAB, 'binary_runtime_measurements'))).map((e) => encodeImaEntry(e));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(edit(entries)));
  return path;
}

/** Wraps an IMC so that its Simple Evidence Final can be recorded or swapped for a recorded one. */
function sefTap(imc: Imc, tap: { record?: Buffer[]; replay?: Buffer }): Imc {
  const wrap = (host: TnccsHost): TnccsHost => ({
    send: (id: number, env: PaEnvelope) => {
      const m = decodePaMessage(env.body, ALL_CODECS.pa);
      const attrs = m.attributes.map((a) => {
        if (!SimpleEvidenceFinalAttr.is(a)) return a;
        tap.record?.push(encodePaMessage({ messageId: 1, attributes: [a] }));
        return tap.replay ? decodePaMessage(tap.replay, ALL_CODECS.pa).attributes[0] : a;
      });
      host.send(id, { ...env, body: encodePaMessage({ messageId: m.messageId, attributes: attrs }) });
    },
  });
  return new Proxy(imc, {
    get: (t, k) =>
      k === 'initialize' ? (id: number, host: TnccsHost) => t.initialize(id, wrap(host)) : Reflect.get(t, k),
  });
}

before(async () => {
  sw = await startSwtpm();
  tpm = await Tpm.open(sw.tcti);
  await tpm.provisionAk();
  await extendLabEvidence(tpm, sw.tcti, LAB, silentLogger);
  deviceId = await akDeviceId(tpm);
  const pki = await labPki();
  server = await startLabServer({
    ...loopbackServer(join(dir, 'policy.db'), pki),
    policy: 'default',
    log: new Logger(2, 'text', serverLog),
    idleTimeoutMs: 5000,
    moreImvs: (s) => [new AttestationImv(s)],
  });
  await server.store.addEnforcement(WorkitemType.TPMRA, 'BI');
  await server.store.setTrusted(deviceId, true);
  await importReferences(PRODUCT);
});

const labFiles = () =>
  decodeImaBinary(readFileSync(join(LAB, 'binary_runtime_measurements')))
    .slice(1)
    .map((e) => decodeImaFields(e));

/** The lab list's file digests as a product's reference hashes, `wrong` replaced by another digest. */
async function importReferences(product: string, wrong?: string): Promise<void> {
  const refs = labFiles().map((f) => ({
    path: f.path,
    algo: 0x4000,
    hash: f.path === wrong ? Buffer.alloc(32, 0xee) : f.fileDigest.digest,
  }));
  await new AttestationStore(server.store).importFileHashes(product, refs);
}
after(async () => {
  await server?.close();
  await tpm?.close();
  await sw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(
  imaList = join(LAB, 'binary_runtime_measurements'),
  tap?: Parameters<typeof sefTap>[1],
  version?: string,
) {
  const pki = await labPki();
  const from = serverLog.lines.length;
  const imc = new AttestationImc({
    tpm,
    paths: { bootEventLog: join(LAB, 'binary_bios_measurements'), imaList, symlinkRoot: dir },
  });
  const outcome = await attest({
    ...loopbackClient(server.port, pki),
    log: silentLogger,
    os: hostTree(version),
    moreImcs: [tap ? sefTap(imc, tap) : imc],
  });
  return { outcome, lines: serverLog.lines.slice(from) };
}

const recorded: Buffer[] = [];

test("good evidence: allow / compliant, with the seed's log lines", async () => {
  const { outcome, lines } = await run(undefined, { record: recorded });
  assert.equal(outcome.access, 'allow', outcome.reasons.join('; '));
  for (const l of [
    '[IMV] AIK public key is trusted',
    '[IMV] TPM Quote Info signature verification successful',
    '[PTS] boot aggregate computed over PCR0..PCR9 is correct',
  ])
    assert.ok(lines.includes(l), l);
  assert.ok(
    lines.some((l) =>
      /^\[IMV\] IMV \d handled TPMRA workitem \d+: allow - registered IMA boot aggregate evidence measurement; processed \d+ IMA file evidence measurements: \d+ ok, 0 unknown, 0 differ, 0 failed; registered \d+ BIOS evidence measurements$/.test(
        l,
      ),
    ),
    lines.filter((l) => l.includes('TPMRA')).join('\n'),
  );
  const again = await run();
  assert.equal(again.outcome.access, 'allow');
  assert.ok(again.lines.some((l) => / BIOS evidence measurements are ok$/.test(l)));
});

test('an IMA entry whose file hash differs from the reference: no access, naming the file', async () => {
  const victim = labFiles()[2].path;
  await importReferences('Ubuntu 22.10 x86_64', victim);
  const { outcome } = await run(undefined, undefined, '22.10');
  assert.equal(outcome.access, 'no access');
  assert.ok(
    outcome.reasons.some((r) => r.includes(`differ from the reference hashes: ${victim}`)),
    outcome.reasons.join('\n'),
  );
});

test('an IMA list that does not replay to the quoted PCR 10: no access', async () => {
  const { outcome } = await run(imaCopy('short.bin', (l) => l.slice(0, -1)));
  assert.equal(outcome.access, 'no access');
  assert.ok(
    outcome.reasons.some((r) => r.includes('the evidence does not replay to the quoted PCR values')),
    outcome.reasons.join('\n'),
  );
});

test('a forged boot aggregate: no access, naming the boot aggregate', async () => {
  const { outcome } = await run(
    imaCopy('forged-ba.bin', ([first, ...rest]) => {
      const f = Buffer.from(first);
      f[50] ^= 0xff; // pcr 4, hash 20, name len 4 + "ima-ng" 6, data len 4, d-ng len 4, "sha256:\0" 8
      return [f, ...rest];
    }),
  );
  assert.equal(outcome.access, 'no access');
  assert.ok(
    outcome.reasons.some((r) => r.includes('boot aggregate computed over PCR0..PCR9 does not match')),
    outcome.reasons.join('\n'),
  );
});

test('a Simple Evidence Final from an earlier session (a quote over a stale nonce): no access', async () => {
  assert.equal(recorded.length, 1, 'the first test recorded its quote');
  const { outcome } = await run(undefined, { replay: recorded[0] });
  assert.equal(outcome.access, 'no access');
  assert.ok(
    outcome.reasons.some((r) => r.startsWith('TPM quote signature verification failed')),
    outcome.reasons.join('\n'),
  );
});

test('an AK whose device is not trusted: no access, saying so', async () => {
  await server.store.setTrusted(deviceId, false);
  try {
    const { outcome, lines } = await run();
    assert.equal(outcome.access, 'no access');
    assert.ok(
      lines.includes(`[IMV] AIK public key is not trusted: device ${deviceId} is not marked trusted`),
      lines.join('\n'),
    );
    assert.ok(
      outcome.reasons.includes(`AIK public key is not trusted: device ${deviceId} is not marked trusted`),
      outcome.reasons.join('\n'),
    );
  } finally {
    await server.store.setTrusted(deviceId, true);
  }
});
