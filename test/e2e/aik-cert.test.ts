import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Logger, MemorySink, silentLogger } from '../../src/log';
import { attest } from '../../src/agent/attest';
import { LabServer, startLabServer } from '../../src/server-emu/lab-server';
import { makeLabPki, type LabPki } from '../../src/cli/commands/pki';
import { akDeviceId } from '../../src/imcs/attestation';
import { extendLabEvidence } from '../../src/lab';
import { decodeImaBinary, decodeImaFields } from '../../src/measurements/ima';
import { colonHex } from '../../src/protocol/pa-tnc/tcg/pts';
import { AttestationStore } from '../../src/policy/attestation';
import { WorkitemType } from '../../src/policy/workitem-types';
import { DEFAULT_AK_HANDLE } from '../../src/tpm/constants';
import { publicKeyObject } from '../../src/tpm/public';
import { Tpm } from '../../src/tpm/tpm';
import { labPki } from '../helpers/pki';
import { hostTree } from '../helpers/host-tree';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { loopbackServer, loopbackClient } from '../helpers/server-process';

// Issue 6 point 2 (PTS 3.13): an AIK certificate that chains to a configured CA makes the AIK
// trusted although its device is not marked trusted. Agent and lab server over PT-TLS, AK on swtpm.
const LAB = join(__dirname, '..', 'data', 'fixtures', 'vm', 'seabios');
const dir = mkdtempSync(join(tmpdir(), 'tnc-e2e-aikcert-'));
const exec = promisify(execFile);
let sw: Swtpm;
let tpm: Tpm;
let deviceId: string;
let aikCa: LabPki;
const servers: { server: LabServer; log: MemorySink }[] = [];

/** Runs openssl with `args` (PEM in and out, files in the temp dir). */
async function openssl(...args: string[]): Promise<void> {
  await exec('openssl', args, { cwd: dir });
}

/** An X.509 certificate (DER) for the public key in `pubPem`, issued by `ca` with the openssl CLI. */
async function certify(name: string, pubPem: string, ca: LabPki): Promise<Buffer> {
  writeFileSync(join(dir, `${name}.pub.pem`), pubPem);
  await openssl(
    'x509',
    '-new',
    '-force_pubkey',
    `${name}.pub.pem`,
    '-CA',
    ca.files.caCert,
    '-CAkey',
    ca.files.caKey,
    '-subj',
    `/CN=${name}`,
    '-days',
    '2',
    '-out',
    `${name}.crt`,
  );
  return new X509Certificate(readFileSync(join(dir, `${name}.crt`))).raw;
}

/** A lab server (OS + Attestation IMV trusting AIK certificates from `ca`) enforcing TPMRA 'BI'. */
async function labServer(name: string, ca: LabPki): Promise<{ server: LabServer; log: MemorySink }> {
  const pki = await labPki();
  const log = new MemorySink();
  const server = await startLabServer({
    ...loopbackServer(join(dir, `${name}.db`), pki),
    policy: 'default',
    log: new Logger(2, 'text', log),
    idleTimeoutMs: 5000,
    verifiers: { attestation: { caCertificates: [new X509Certificate(ca.pem.ca)] } },
  });
  servers.push({ server, log });
  await server.store.addEnforcement(WorkitemType.TPMRA, 'BI');
  const refs = decodeImaBinary(readFileSync(join(LAB, 'binary_runtime_measurements')))
    .slice(1)
    .map((e) => decodeImaFields(e))
    .map((f) => ({ path: f.path, algo: 0x4000, hash: f.fileDigest.digest }));
  await new AttestationStore(server.store).importFileHashes('Ubuntu 22.04 x86_64', refs);
  return { server, log };
}

let rightCa: { server: LabServer; log: MemorySink };
let otherCa: { server: LabServer; log: MemorySink };
let akCert: Buffer;
let strangerCert: Buffer;

before(async () => {
  sw = await startSwtpm();
  tpm = await Tpm.open(sw.tcti);
  await tpm.provisionAk();
  await extendLabEvidence(tpm, sw.tcti, LAB, silentLogger);
  deviceId = await akDeviceId(tpm);
  aikCa = await makeLabPki({ out: join(dir, 'aik-ca'), days: 2 });
  const other = await makeLabPki({ out: join(dir, 'other-ca'), days: 2 });
  const akPem = publicKeyObject((await tpm.readPublic(DEFAULT_AK_HANDLE)).public)
    .export({ type: 'spki', format: 'pem' })
    .toString();
  akCert = await certify('ak', akPem, aikCa);
  // another key than the AK (the CA's client key), certified by the right CA
  await openssl('pkey', '-in', aikCa.files.clientKey, '-pubout', '-out', 'stranger.pub.pem');
  strangerCert = await certify('stranger', readFileSync(join(dir, 'stranger.pub.pem'), 'utf8'), aikCa);
  rightCa = await labServer('right', aikCa);
  otherCa = await labServer('other', other);
});

after(async () => {
  for (const s of servers) await s.server.close();
  await tpm?.close();
  await sw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(to: { server: LabServer; log: MemorySink }, akCertificate: Buffer) {
  const pki = await labPki();
  const from = to.log.lines.length;
  const outcome = await attest({
    ...loopbackClient(to.server.port, pki),
    log: silentLogger,
    os: hostTree(dir, 'host', { version: '22.04', deviceId }),
    collectors: {
      attestation: {
        tpm,
        akCertificate,
        paths: {
          bootEventLog: join(LAB, 'binary_bios_measurements'),
          imaList: join(LAB, 'binary_runtime_measurements'),
          symlinkRoot: dir,
        },
      },
    },
  });
  return { outcome, lines: to.log.lines.slice(from) };
}

test('an AK certificate from the configured CA: allow / compliant although the device is not marked trusted', async () => {
  const { outcome, lines } = await run(rightCa, akCert);
  assert.equal(outcome.access, 'allow', outcome.reasons.join('; '));
  assert.equal(
    (await rightCa.server.store.findDevice(deviceId))?.trusted,
    false,
    'the device row is not what made the AIK trusted',
  );
  const colonKeyId = colonHex(Buffer.from(deviceId, 'hex'));
  for (const l of [
    `[IMV] verifying AIK with keyid ${colonKeyId}`,
    '[IMV] AIK public key is trusted',
    '[IMV] TPM Quote Info signature verification successful',
  ]) {
    assert.ok(lines.includes(l), `${l}\n---\n${lines.filter((x) => x.startsWith('[IMV]')).join('\n')}`);
  }
});

test('the same certificate with the IMV configured for another CA: no access, naming the AIK certificate', async () => {
  const { outcome, lines } = await run(otherCa, akCert);
  assert.notEqual(outcome.access, 'allow');
  assert.ok(
    lines.some((l) => l.startsWith('[IMV] AIK public key is not trusted: ')),
    lines.join('\n'),
  );
  const reason = `AIK public key is not trusted: AIK certificate 'CN=ak' (issuer 'CN=tnc-agent lab CA') does not chain to a configured CA, and device ${deviceId} is not marked trusted`;
  assert.ok(outcome.reasons.includes(reason), outcome.reasons.join('\n'));
});

test('a certificate from the configured CA for another key than the AK: the quote signature check fails', async () => {
  const { outcome, lines } = await run(rightCa, strangerCert);
  assert.notEqual(outcome.access, 'allow');
  assert.ok(
    lines.includes('[IMV] TPM Quote Info signature verification failed'),
    lines.filter((x) => x.startsWith('[IMV]')).join('\n'),
  );
  assert.ok(
    outcome.reasons.some((r) => r.startsWith('TPM quote signature verification failed')),
    outcome.reasons.join('\n'),
  );
});
