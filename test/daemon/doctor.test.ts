import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridgeServer, type BridgeServer } from '../../src/bridge';
import { Logger } from '../../src/log';
import { startLabServer, type LabServer } from '../../src/server-emu/lab-server';
import { makeLabPki } from '../../src/cli/commands/pki';
import { formatCheck, runDoctor, type Check } from '../../src/daemon/doctor';
import { Tpm } from '../../src/tpm/tpm';
import { labPki } from '../helpers/pki';
import { startSwtpm, type Swtpm } from '../helpers/swtpm';
import { loopbackServer } from '../helpers/server-process';

// doctor against the real lab server (TLS on loopback), a real swtpm and recorded IMA lists.
const dir = mkdtempSync(join(tmpdir(), 'tnc-doctor-'));
const data = join(__dirname, '..', 'data', 'fixtures');
// this host's strongSwan (if any) is not what these tests are about: test/daemon/doctor-strongswan.test.ts
const noStrongswan = {
  pluginDir: '/nonexistent/plugins',
  charonConfDir: '/nonexistent/charon',
  tncConfig: '/nonexistent/tnc_config',
  swanctl: '/nonexistent/swanctl',
};
let server: LabServer;
let swtpm: Swtpm;
let bridge: BridgeServer;

before(async () => {
  const pki = await labPki();
  server = await startLabServer({
    ...loopbackServer(join(dir, 'policy.db'), pki),
    policy: 'default',
    log: new Logger(-1),
  });
  swtpm = await startSwtpm();
  bridge = await startBridgeServer({ socketPath: join(dir, 'imc.sock'), imcs: [], log: new Logger(-1) });
});
after(async () => {
  await server.close();
  await bridge.close();
  await swtpm.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function doctor(
  name: string,
  sections: Record<string, Record<string, string | number>>,
): Promise<Map<string, Check>> {
  const pki = await labPki();
  const base = {
    server: {
      address: `127.0.0.1:${server.port}`,
      ca: pki.files.caCert,
      cert: pki.files.clientCert,
      key: pki.files.clientKey,
      servername: 'tnc-server',
    },
    os: { 'dpkg-status': join(data, 'dpkg', 'status'), 'device-id': 'test-device' },
    bridge: { socket: bridge.socketPath },
  };
  const merged: Record<string, Record<string, string | number>> = {
    ...base,
    ...sections,
    server: { ...base.server, ...sections.server },
  };
  const file = join(dir, `${name}.conf`);
  writeFileSync(
    file,
    Object.entries(merged)
      .map(
        ([s, kv]) =>
          `[${s}]\n${Object.entries(kv)
            .map(([k, v]) => `${k} = ${v}`)
            .join('\n')}`,
      )
      .join('\n'),
  );
  const checks = await runDoctor(file, join(dir, 'no-conf.d'), noStrongswan);
  return new Map(checks.map((c) => [c.name, c]));
}

test('a well configured host without attestation passes every required check', async () => {
  const checks = await doctor('good', { attestation: { tcti: 'device:/nonexistent/tpmrm0' } });
  assert.deepEqual(
    [...checks.values()].filter((c) => c.required && !c.ok),
    [],
  );
  assert.match(
    checks.get('server reachable')!.detail,
    /certificate tnc-server, valid until .* verified with the configured CA/,
  );
  assert.match(checks.get('dpkg')!.detail, /^\d+ packages installed/);
  assert.match(checks.get('IF-IMC bridge socket')!.detail, /: socket, mode 0660/);
  const tpm = checks.get('TPM device')!;
  assert.equal(
    formatCheck(tpm),
    '✗ TPM device: /nonexistent/tpmrm0: not found (optional with this configuration) (hint: enable the TPM 2.0 in the firmware setup; in a VM add a vTPM (swtpm))',
  );
});

test('an untrusted server certificate, a wrong name and a closed port each fail the reachability check', async () => {
  const other = await makeLabPki({ out: join(dir, 'other-pki') });
  const untrusted = (await doctor('untrusted', { server: { ca: other.files.caCert } })).get('server reachable')!;
  assert.equal(untrusted.ok, false);
  assert.match(
    untrusted.detail,
    /is NOT trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE|NOT trusted: .*(SELF_SIGNED|unable)/i,
  );
  const wrongName = (await doctor('name', { server: { servername: 'evil.example' } })).get('server reachable')!;
  assert.match(wrongName.detail, /NOT trusted: ERR_TLS_CERT_ALTNAME_INVALID/);
  const closed = (await doctor('closed', { server: { address: '127.0.0.1:1' } })).get('server reachable')!;
  assert.match(
    formatCheck(closed),
    /^✗ server reachable: 127\.0\.0\.1:1: ECONNREFUSED \(hint: is the TNC server running/,
  );
  const mismatched = (await doctor('keymix', { server: { key: other.files.clientKey } })).get('client certificate')!;
  assert.match(mismatched.detail, /is not the key of/);
});

test('with attestation enabled: the AK must be provisioned and the IMA list must measure with ima-ng/ima-sig', async () => {
  const vectors = join(__dirname, '..', 'data', 'vectors', 'evidence');
  const attestation = {
    enabled: 'yes',
    tcti: swtpm.tcti,
    'ima-list': join(vectors, 'binary_runtime_measurements'),
    'event-log': join(vectors, 'binary_bios_measurements'),
  };
  const before = await doctor('att', { attestation });
  assert.deepEqual([before.get('attestation key')!.ok, before.get('attestation key')!.required], [false, true]);
  assert.match(before.get('attestation key')!.hint!, /tnc-agent tpm provision --ak-handle 0x81010003/);
  assert.equal(before.has('TPM device'), false, 'a swtpm TCTI has no device node to check');
  assert.match(before.get('IMA policy and template')!.detail, /^5 entries, templates ima-ng×5$/);
  assert.equal(before.get('firmware event log')!.ok, true);
  const tpm = await Tpm.open(swtpm.tcti);
  await tpm.provisionAk();
  await tpm.close();
  assert.equal((await doctor('att2', { attestation })).get('attestation key')!.ok, true);
  // tpm2-tss's 'ima' template list, without the stray newline upstream's copy ends with
  const legacyList = join(dir, 'ima-legacy.bin');
  writeFileSync(legacyList, readFileSync(join(data, 'ima', 'tpm2-tss-sml-ima-sha1.bin')).subarray(0, -1));
  const legacy = await doctor('legacy', { attestation: { ...attestation, 'ima-list': legacyList } });
  assert.match(
    formatCheck(legacy.get('IMA policy and template')!),
    /^✗ .*legacy 'ima' template.*hint: boot with ima_template=ima-ng/,
  );
});

test('a broken configuration is reported first and the other checks still run on defaults', async () => {
  const file = join(dir, 'broken.conf');
  writeFileSync(file, '[server]\nadress = x\n');
  const checks = await runDoctor(file, join(dir, 'no-conf.d'), noStrongswan);
  assert.match(formatCheck(checks[0]), /^✗ configuration: .*broken\.conf:2: unknown option 'adress'/);
  assert.equal(checks.find((c) => c.name === 'server address')?.ok, false);
});
