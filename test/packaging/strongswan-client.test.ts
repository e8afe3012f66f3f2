import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeLabPki } from '../../src/cli/commands/pki';
import { buildConfig, parseIni } from '../../src/daemon/config';
import { osSources } from '../../src/daemon/parts';
import type { Swtpm } from '../helpers/swtpm';
import { skipUnlessRequired } from '../helpers/require';
import { makeBookwormRoot, missingTool, must, quote, repo, sh, version, vpnDocBlocks } from './debian-root';
import { LineProc } from './line-proc';
import { LAB, startLabTpm, tamperFileDigest } from './lab';

// strongSwan's own TNC client proves the companion package and the IF-IMC bridge: in a clean
// Debian 12 root, apt installs strongswan-charon and libcharon-extra-plugins, then our
// tnc-agent-strongswan-plugins and tnc-agent; the files docs/vpn.md marks are written from that
// page; `tnc-agent daemon` runs with swtpm holding a recorded boot (lab evidence); Debian's
// /usr/bin/pt-tls-client runs against `tnc-agent --server-mode` on loopback, as docs/vpn.md
// shows. Once as recorded (allow), once with one IMA entry tampered (not allowed, with the reason).
// Needs root, debootstrap, swtpm and Debian's mirror; `npm run test:strongswan` runs it (a CI step).

function whyNot(): string | undefined {
  if (process.env.TNC_TEST_STRONGSWAN !== '1')
    return "strongSwan's pt-tls-client test runs in its own CI step: `npm run test:strongswan`";
  if (process.getuid?.() !== 0) return 'needs root (debootstrap, chroot, apt-get build-dep)';
  return missingTool(['debootstrap', 'dpkg-deb', 'chroot', 'swtpm']);
}
const skip = skipUnlessRequired('strongswan', whyNot());
if (skip) console.log(`# skipping the strongSwan client test: ${skip}`);

let work: string;
let root: string;
const chrootEnv = {
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  DEBIAN_FRONTEND: 'noninteractive',
  LANG: 'C.UTF-8',
  HOME: '/root',
};
const inRoot = (cmd: string) => sh(`chroot ${root} sh -c ${quote(cmd)}`, chrootEnv);
const mustInRoot = (cmd: string): string => {
  const r = inRoot(cmd);
  assert.equal(r.status, 0, `in the chroot, ${cmd} failed:\n${r.out.slice(-4000)}`);
  return r.out;
};

/** A process in the chroot (started in /root) whose output is kept line by line. */
const inChroot = (name: string, cmd: string) =>
  new LineProc(name, ['chroot', root, 'sh', '-c', `cd /root && exec ${cmd}`], { env: chrootEnv });

let sw: Swtpm | undefined;
let daemon: LineProc | undefined;
let server: LineProc | undefined;
let port: number;
let deviceId: string;

/** A clean Debian 12 root: the cached debootstrap tarball, with bookworm's updates and security suites (a stock install's). */
function makeRoot(): void {
  root = makeBookwormRoot(work);
  mustInRoot('apt-get update -qq');
}

before(
  async () => {
    if (skip) return;
    work = mkdtempSync('/var/tmp/tnc-strongswan-');
    makeRoot();
    // the companion package fits the strongSwan this root would install
    const strongswan = mustInRoot('apt-cache policy libstrongswan').match(/Candidate: (\S+)/)![1];
    must(`bash ${repo}/scripts/package-deb.sh --version ${version} --out ${work}/debs`);
    must(`bash ${repo}/scripts/package-strongswan-plugins.sh --strongswan-version ${strongswan} --out ${work}/debs`);
    must(`cp ${work}/debs/*.deb ${root}/tmp/`);
    ({ sw, deviceId } = await startLabTpm());
  },
  { timeout: 40 * 60_000 },
);

after(async () => {
  if (skip || !work) return;
  await daemon?.stop();
  await server?.stop();
  await sw?.stop();
  sh(`umount ${root}/proc`);
  rmSync(work, { recursive: true, force: true });
});

test(
  'stock strongSwan from apt lacks tnccs-20 and tnc-imc: doctor says so and names the companion package',
  { skip },
  () => {
    mustInRoot(
      'apt-get install -y -qq --no-install-recommends strongswan-charon libcharon-extra-plugins libstrongswan-standard-plugins libtss2-tcti-swtpm0 /tmp/tnc-agent_*.deb',
    );
    const plugins = mustInRoot('ls /usr/lib/ipsec/plugins');
    for (const stock of ['eap-ttls', 'eap-tnc', 'tnc-tnccs'])
      assert.match(plugins, new RegExp(`^libstrongswan-${stock}\\.so$`, 'm'));
    for (const lacking of ['tnccs-20', 'tnc-imc', 'tnc-imv'])
      assert.doesNotMatch(plugins, new RegExp(`^libstrongswan-${lacking}\\.so$`, 'm'));
    mustInRoot('test -x /usr/bin/pt-tls-client');
    const doctor = inRoot('tnc-agent doctor').out;
    assert.match(
      doctor,
      /^✗ strongSwan TNC plugins: tnccs-20, tnc-imc missing in \/usr\/lib\/ipsec\/plugins: strongSwan cannot load the agent's IMCs \(hint: apt install tnc-agent-strongswan-plugins /m,
    );
    assert.match(doctor, /^✗ TNC client IMC list: \/etc\/tnc_config: ENOENT/m);
  },
);

test(
  'the companion package installs beside the stock one it pins; lintian finds no errors and no warnings',
  { skip },
  () => {
    mustInRoot('apt-get install -y -qq --no-install-recommends /tmp/tnc-agent-strongswan-plugins_*.deb');
    const strongswan = mustInRoot('dpkg-query -W -f="\\${Version}" libstrongswan');
    const depends = mustInRoot('dpkg-query -W -f="\\${Depends}" tnc-agent-strongswan-plugins');
    assert.match(depends, new RegExp(`libstrongswan \\(= ${strongswan.replace(/[.+]/g, '\\$&')}\\)`));
    assert.match(depends, new RegExp(`libcharon-extra-plugins \\(= ${strongswan.replace(/[.+]/g, '\\$&')}\\)`));
    assert.match(
      mustInRoot('dpkg-query -W -f="\\${Version} \\${Built-Using}" tnc-agent-strongswan-plugins'),
      new RegExp(`^${strongswan.replace(/[.+]/g, '\\$&')}\\+tnc\\d+ strongswan \\(= 5\\.9\\.8-`),
    );
    const files = mustInRoot('dpkg -L tnc-agent-strongswan-plugins');
    for (const p of ['tnccs-20', 'tnc-imc', 'tnc-imv']) {
      assert.match(files, new RegExp(`^/usr/lib/ipsec/plugins/libstrongswan-${p}\\.so$`, 'm'));
      assert.match(mustInRoot(`cat /etc/strongswan.d/charon/${p}.conf`), /^\s*load = yes$/m);
    }
    assert.match(mustInRoot('cat /usr/share/doc/tnc-agent-strongswan-plugins/copyright'), /^License: GPL-2\+$/m);
    if (sh('command -v lintian').status !== 0)
      return console.log('# lintian is not installed: skipping its run (apt-get install lintian)');
    const r = sh(`lintian --fail-on error,warning ${work}/debs/tnc-agent-strongswan-plugins_*.deb`);
    assert.deepEqual(
      r.out.split('\n').filter((l) => /^[EW]: /.test(l)),
      [],
    );
    assert.equal(r.status, 0, r.out);
  },
);

test(
  "with docs/vpn.md's files, the daemon serves the bridge and doctor passes every strongSwan line",
  { skip },
  async () => {
    const files = vpnDocBlocks('file');
    assert.deepEqual([...files.keys()].sort(), [
      '/etc/strongswan.d/tnc-agent.conf',
      '/etc/tnc-agent/conf.d/50-vpn.conf',
      '/etc/tnc_config',
    ]);
    for (const [path, text] of files) writeFileSync(join(root, path), text);
    // the lab part: swtpm for the TPM, the recorded boot's event log and IMA list for /sys/kernel/security
    cpSync(LAB, join(root, 'var', 'lib', 'lab-evidence'), { recursive: true });
    writeFileSync(
      join(root, 'etc', 'tnc-agent', 'conf.d', '60-lab.conf'),
      `[attestation]\ntcti = ${sw!.tcti}\nima-list = /var/lib/lab-evidence/binary_runtime_measurements\nevent-log = /var/lib/lab-evidence/binary_bios_measurements\n`,
    );
    daemon = inChroot('tnc-agent daemon', 'tnc-agent daemon');
    await daemon.line(/IF-IMC bridge listening on \/run\/tnc-agent\/imc\.sock for IMCs "OS", "SWIMA", "Attestation"/);
    const doctor = inRoot('tnc-agent doctor').out;
    assert.match(
      doctor,
      /^✓ strongSwan TNC plugins: tnccs-20, tnc-imc, tnc-tnccs, eap-tnc, eap-ttls in \/usr\/lib\/ipsec\/plugins$/m,
    );
    assert.match(doctor, /^✓ strongSwan TNC plugins load: tnccs-20 and tnc-imc load with every symbol resolved/m);
    assert.match(
      doctor,
      /^✓ TNC client IMC list: \/etc\/tnc_config names \/usr\/lib\/tnc-agent\/imc-os\.so, \/usr\/lib\/tnc-agent\/imc-swima\.so, \/usr\/lib\/tnc-agent\/imc-attestation\.so$/m,
    );
    assert.match(
      doctor,
      /^✓ IF-IMC bridge socket: \/run\/tnc-agent\/imc\.sock: socket, mode 0660, .*the daemon answers$/m,
    );
  },
);

/** The lab server of docs/vpn.md (on port 0), its policy: SWIMA and TPM attestation for every device, this AK trusted, the recorded IMA list's files as reference. */
async function startServer(): Promise<void> {
  const pki = await makeLabPki({
    out: join(root, 'root', 'lab'),
    serverCn: 'tnc-server',
    clientCn: 'tnc-client',
    days: 2,
  });
  assert.ok(pki.files.caCert.endsWith('/root/lab/ca.pem'));
  const os = await osSources(
    buildConfig(parseIni(`[os]\nos-release = ${root}/etc/os-release\n`, 'test.conf')),
    undefined,
  ).report();
  const product = `${os.product.name} ${os.version.version}`;
  assert.match(product, /^Debian 12 /);
  const db = '--db lab/policy.db';
  mustInRoot(
    `cd /root && tnc-agent db import-hashes ${db} --product '${product}' --ima-list /var/lib/lab-evidence/binary_runtime_measurements`,
  );
  mustInRoot(
    `cd /root && tnc-agent db enforce SWIDT R ${db} && tnc-agent db enforce TPMRA BI ${db} && tnc-agent db device trust ${deviceId} ${db}`,
  );
  const cmd = vpnDocBlocks('run').get('server')!.trim().replace('--listen 127.0.0.1:2710', '--listen 127.0.0.1:0');
  assert.match(cmd, /--listen 127\.0\.0\.1:0 /);
  server = inChroot('tnc-agent --server-mode', cmd);
  port = Number((await server.line(/PT-TLS server listening on 127\.0\.0\.1:(\d+)/))[1]);
}

/** docs/vpn.md's pt-tls-client line against the server; its whole log (it exits 1 even on success). */
function ptTlsClient(): string {
  const cmd = vpnDocBlocks('run').get('client')!.trim().replace('--port 2710', `--port ${port}`);
  assert.match(cmd, new RegExp(`^pt-tls-client .*--port ${port} `));
  const r = spawnSync('chroot', [root, 'sh', '-c', `cd /root && exec ${cmd} 2>&1`], {
    encoding: 'utf8',
    env: chrootEnv,
    timeout: 180_000,
  });
  assert.notEqual(r.signal, 'SIGTERM', `pt-tls-client hung:\n${r.stdout}`);
  return r.stdout;
}

test(
  "Debian's pt-tls-client loads our three IMCs and the server allows: OS facts, SWIMA inventory, a verified TPM quote with IMA and BIOS evidence",
  { skip },
  async () => {
    await startServer();
    const from = server!.lines.length;
    const log = ptTlsClient();
    for (const [id, name, lib] of [
      [1, 'OS', 'os'],
      [2, 'SWIMA', 'swima'],
      [3, 'Attestation', 'attestation'],
    ]) {
      assert.match(log, new RegExp(`IMC ${id} "${name}" loaded from '/usr/lib/tnc-agent/imc-${lib}\\.so'`), log);
    }
    assert.match(log, /PB-TNC access recommendation is 'Access Allowed'/, log);
    assert.match(log, /PB-TNC assessment result is 'compliant'/, log);
    const s = await serverLog(from);
    assert.match(s, /^\[IMV\] operating system name is 'Debian' from vendor Debian Project$/m);
    assert.match(s, /^\[IMV\] operating system version is '12 x86_64'$/m);
    assert.match(s, new RegExp(`^\\[IMV\\] device ID is ${deviceId}$`, 'm'));
    assert.match(s, /^\[IMV\] received software ID inventory with [1-9]\d* items for request \d+/m);
    assert.match(s, /^\[IMV\] TPM Quote Info signature verification successful$/m);
    assert.match(
      s,
      /^\[IMV\] IMV 3 handled TPMRA workitem \d+: allow - registered IMA boot aggregate evidence measurement; processed \d+ IMA file evidence measurements: [1-9]\d* ok, 0 unknown, 0 differ, 0 failed; registered 13 BIOS evidence measurements$/m,
    );
    assert.match(s, /^\[TNC\] final recommendation is 'allow' and evaluation is 'compliant'$/m);
    show('pt-tls-client', log, /loaded from|access recommendation|assessment result/);
    show('server', s, /operating system name|software ID inventory|Quote Info|handled TPMRA|final recommendation/);
    for (const name of ['OS', 'SWIMA', 'Attestation'])
      assert.ok(
        daemon!.lines.some((l) => new RegExp(`^\\[TNC\\] IMC \\d+ "${name}" attached over the IF-IMC bridge$`).test(l)),
        `${name} did not attach:\n${daemon!.lines.join('\n')}`,
      );
  },
);

/** Prints the lines of a log that matter (the CI log then shows what strongSwan and the server said). */
function show(who: string, text: string, re: RegExp): void {
  for (const l of text.split('\n')) if (re.test(l)) console.log(`${who}: ${l}`);
}

/** The server's lines from `from` up to its verdict for the connection. */
async function serverLog(from: number): Promise<string> {
  await server!.line(/final recommendation is/, from);
  return server!.lines.slice(from).join('\n');
}

test(
  "one IMA entry tampered (a file's digest changed in the list the agent reports): not allowed, and the server says why",
  { skip },
  async () => {
    const list = join(root, 'var', 'lib', 'lab-evidence', 'binary_runtime_measurements');
    const tampered = tamperFileDigest(readFileSync(list), '/usr/bin/env');
    writeFileSync(list, tampered);
    const from = server!.lines.length;
    const log = ptTlsClient();
    assert.match(log, /IMC 3 "Attestation" loaded from/);
    // `db enforce` isolates on a failed check by default, as strongSwan's policies do
    assert.match(log, /PB-TNC access recommendation is 'Quarantined'/, log);
    assert.match(log, /PB-TNC assessment result is 'non-compliant/, log);
    const s = await serverLog(from);
    // the entry's template hash no longer matches its data: the replay misses the quoted PCR 10, and the file differs from its reference
    assert.match(s, /^\[PTS\] [0-9a-f:]{95} for '\/usr\/bin\/env' differs from the reference hashes$/m, s);
    assert.match(
      s,
      /^\[IMV\] IMV 3 handled TPMRA workitem \d+: isolate - the evidence does not replay to the quoted PCR values \(PCR composite digest differs\); 1 IMA file measurements differ from the reference hashes: \/usr\/bin\/env; /m,
      s,
    );
    assert.match(s, /^\[TNC\] final recommendation is 'isolate'/m, s);
    show('pt-tls-client', log, /access recommendation|assessment result/);
    show('server', s, /differs from|handled TPMRA|final recommendation/);
  },
);

test(
  'charon itself loads tnccs-20, tnc-imc and our IMCs; doctor reads its plugin list with swanctl --stats',
  { skip },
  async () => {
    mustInRoot('apt-get install -y -qq --no-install-recommends strongswan-swanctl');
    // a random IKE port (never a fixed one on a shared machine) and charon's log on stderr
    writeFileSync(
      join(root, 'etc', 'strongswan.d', 'zz-test.conf'),
      'charon {\n  port = 0\n  port_nat_t = 0\n  filelog {\n    stderr {\n      default = 1\n    }\n  }\n}\n',
    );
    const charon = inChroot('charon', '/usr/lib/ipsec/charon');
    try {
      for (const [id, name, lib] of [
        [1, 'OS', 'os'],
        [2, 'SWIMA', 'swima'],
        [3, 'Attestation', 'attestation'],
      ]) {
        await charon.line(new RegExp(`IMC ${id} "${name}" loaded from '/usr/lib/tnc-agent/imc-${lib}\\.so'`));
      }
      await charon.line(
        /loaded plugins: charon .*\btnc-imc\b.*\btnccs-20\b|loaded plugins: charon .*\btnccs-20\b.*\btnc-imc\b/,
      );
      await charon.line(/spawning \d+ worker threads/);
      const doctor = inRoot('tnc-agent doctor').out;
      assert.match(
        doctor,
        /^✓ strongSwan TNC plugins load: the running charon has loaded tnccs-20 and tnc-imc$/m,
        doctor,
      );
      show('charon', charon.lines.join('\n'), /loaded from|loaded plugins/);
      show('doctor', doctor, /strongSwan|TNC client|bridge/);
    } finally {
      await charon.stop();
    }
  },
);
