import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipUnlessRequired } from '../helpers/require';

// The .deb in a clean Debian 12 root: install with its dependencies, --version, doctor, upgrade,
// purge. Needs root, debootstrap and Debian's mirror; `npm run test:deb` runs it (a named CI step).
const MIRROR = process.env.TNC_DEB_MIRROR ?? 'http://deb.debian.org/debian';
const CACHE = '/var/cache/tnc-agent-test';
const BASE_TAR = join(CACHE, 'bookworm-minbase.tar');
const repo = join(__dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const upgradeVersion = `${version}+upgrade1`;

function whyNot(): string | undefined {
  if (process.env.TNC_TEST_DEB !== '1') return 'the .deb install test runs in its own CI step: `npm run test:deb`';
  if (process.getuid?.() !== 0) return 'needs root (debootstrap, chroot, dpkg)';
  for (const tool of ['debootstrap', 'dpkg-deb', 'dpkg-shlibdeps', 'chroot']) {
    if (sh(`command -v ${tool}`).status !== 0) return `${tool} is not installed (bash scripts/setup.sh installs it)`;
  }
  return undefined;
}
const skip = skipUnlessRequired('deb', whyNot());
if (skip) console.log(`# skipping the .deb test: ${skip}`);

function sh(cmd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function must(cmd: string): string {
  const r = sh(cmd);
  assert.equal(r.status, 0, `${cmd} failed:\n${r.out.slice(-4000)}`);
  return r.out;
}

let work: string;
let root: string;
const inRoot = (cmd: string) =>
  sh(`chroot ${root} sh -c '${cmd.replace(/'/g, `'\\''`)}'`, { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8' });
const mustInRoot = (cmd: string): string => {
  const r = inRoot(cmd);
  assert.equal(r.status, 0, `in the chroot, ${cmd} failed:\n${r.out.slice(-4000)}`);
  return r.out;
};

before(() => {
  if (skip) return;
  work = mkdtempSync('/var/tmp/tnc-deb-');
  if (!existsSync(BASE_TAR)) {
    mkdirSync(CACHE, { recursive: true });
    must(`debootstrap --variant=minbase bookworm ${work}/base ${MIRROR} && tar --numeric-owner -C ${work}/base -cf ${BASE_TAR}.part . && mv ${BASE_TAR}.part ${BASE_TAR} && rm -rf ${work}/base`);
  }
  root = join(work, 'root');
  mkdirSync(root);
  must(`tar --numeric-owner -C ${root} -xf ${BASE_TAR}`);
  copyFileSync('/etc/resolv.conf', join(root, 'etc', 'resolv.conf'));
  must(`mount -t proc proc ${root}/proc`);
  must(`bash ${repo}/scripts/package-deb.sh --version ${version} --out ${work}/debs`);
  repack(`${work}/debs/tnc-agent_${version}_*.deb`, upgradeVersion, `${work}/debs`);
  must(`cp ${work}/debs/*.deb ${root}/tmp/`);
});

after(() => {
  if (skip || !work) return;
  sh(`umount ${root}/proc`);
  rmSync(work, { recursive: true, force: true });
});

/** The upgrade: the same build with a higher version in its control file. */
function repack(deb: string, newVersion: string, out: string): void {
  const x = join(work, 'repack');
  must(`dpkg-deb -R ${deb} ${x}`);
  const control = join(x, 'DEBIAN', 'control');
  writeFileSync(control, readFileSync(control, 'utf8').replace(/^Version: .*$/m, `Version: ${newVersion}`));
  must(`dpkg-deb --root-owner-group -Zgzip -z1 -b ${x} ${out}/tnc-agent_${newVersion}_upgrade.deb && rm -rf ${x}`);
}

test('apt installs the .deb with its libtss2 dependencies; the service user, state and unit are in place', { skip }, () => {
  mustInRoot('apt-get update -qq');
  mustInRoot(`apt-get install -y -qq --no-install-recommends /tmp/tnc-agent_${version}_*.deb`);
  assert.match(mustInRoot('dpkg-query -W -f="\\${Status} \\${Version}" tnc-agent'), new RegExp(`install ok installed ${version.replace(/\./g, '\\.')}$`));
  for (const lib of ['libtss2-esys-3.0.2-0', 'libtss2-tctildr0', 'libtss2-mu0', 'libtss2-rc0']) mustInRoot(`dpkg -s ${lib} >/dev/null`);
  assert.match(mustInRoot('id tnc-agent'), /groups=.*\btss\b/);
  assert.match(mustInRoot('stat -c "%U %a" /var/lib/tnc-agent'), /^tnc-agent 750/);
  mustInRoot('test -f /lib/systemd/system/tnc-agent.service && test -f /etc/tnc-agent/agent.conf');
  assert.match(mustInRoot('grep -E "^RuntimeDirectory=" /lib/systemd/system/tnc-agent.service'), /^RuntimeDirectory=tnc-agent$/m);
});

test('the IF-IMC libraries for strongSwan are installed, load, and the package depends on libc6', { skip }, () => {
  for (const name of ['os', 'swima', 'attestation']) {
    const lib = `/usr/lib/tnc-agent/imc-${name}.so`;
    assert.match(mustInRoot(`od -An -c -N4 ${lib}`), /177\s+E\s+L\s+F/, `${lib} is not an ELF file`);
    // the bundled Node dlopens it: every symbol resolves against the chroot's libc
    const exports = mustInRoot(`/usr/lib/tnc-agent/node -e 'const m = { exports: {} }; try { process.dlopen(m, "${lib}"); } catch (e) { if (!/Module did not self-register/.test(e.message)) throw e; } console.log("loaded")'`);
    assert.match(exports, /^loaded$/m);
  }
  assert.match(mustInRoot('dpkg-query -W -f="\\${Depends}" tnc-agent'), /(^|, )libc6 \(>= [^)]+\)/);
  const example = mustInRoot('cat /usr/share/doc/tnc-agent/tnc_config.example');
  for (const [imc, name] of [['OS', 'os'], ['SWIMA', 'swima'], ['Attestation', 'attestation']]) assert.match(example, new RegExp(`^IMC "${imc}"\\s+/usr/lib/tnc-agent/imc-${name}\\.so$`, 'm'));
  mustInRoot('test -f /usr/share/doc/tnc-agent/vpn.md');
});

test('the installed CLI runs on the bundled Node: --version, a SWIMA collection and doctor', { skip }, () => {
  assert.equal(mustInRoot('tnc-agent --version').trim(), version);
  // the bundled better-sqlite3 works without the install-time modules the package leaves out
  mustInRoot('tnc-agent swima collect');
  const doctor = inRoot('tnc-agent doctor');
  assert.equal(doctor.status, 1, `doctor should fail without a server:\n${doctor.out}`);
  assert.match(doctor.out, /^✓ configuration: \/etc\/tnc-agent\/agent\.conf$/m);
  assert.match(doctor.out, /^✓ dpkg: \d+ packages installed/m);
  assert.match(doctor.out, /^✗ server address: not configured/m);
  assert.match(doctor.out, /^✗ TPM device: \/dev\/tpmrm0: not found \(optional/m);
  assert.match(doctor.out, /^✗ IF-IMC bridge socket: \/run\/tnc-agent\/imc\.sock: not there: the daemon is not running \(hint: start it/m);
  assert.match(doctor.out, /^✓ SWIMA store: \/var\/lib\/tnc-agent\/swima\.db: epoch 0x[0-9a-f]{8}, last EID [1-9]\d*, [1-9]\d* software identifiers installed$/m);
});

test('lintian finds no errors and no warnings in the .deb', { skip: skip ?? lintianMissing() }, () => {
  const deb = `${work}/debs/tnc-agent_${version}_*.deb`;
  const r = sh(`lintian --fail-on error,warning ${deb}`);
  assert.deepEqual(r.out.split('\n').filter((l) => /^[EW]: /.test(l)), []);
  assert.equal(r.status, 0, r.out);
  assert.match(must(`dpkg-deb -c ${deb}`), /\.\/usr\/share\/man\/man1\/tnc-agent\.1\.gz$/m);
});

function lintianMissing(): string | undefined {
  const why = skipUnlessRequired('deb', sh('command -v lintian').status === 0 ? undefined : 'lintian is not installed (apt-get install lintian)');
  if (why) console.log(`# skipping the lintian test: ${why}`);
  return why;
}

test('an upgrade keeps the edited conffile and runs the new version', { skip }, () => {
  mustInRoot('printf "\\n[log]\\nlevel = 2\\n" >> /etc/tnc-agent/agent.conf');
  mustInRoot(`apt-get install -y -qq -o Dpkg::Options::=--force-confold /tmp/tnc-agent_${upgradeVersion}_upgrade.deb`);
  assert.equal(mustInRoot('tnc-agent --version').trim(), version, 'the CLI reports package.json\'s version');
  assert.match(mustInRoot('dpkg-query -W -f="\\${Version}" tnc-agent'), new RegExp(`^${upgradeVersion.replace(/[.+]/g, '\\$&')}$`));
  assert.match(mustInRoot('cat /etc/tnc-agent/agent.conf'), /level = 2\n$/);
  mustInRoot('id tnc-agent >/dev/null');
});

test('purge removes the files, configuration, state and user', { skip }, () => {
  mustInRoot('apt-get purge -y -qq tnc-agent');
  assert.notEqual(inRoot('dpkg -s tnc-agent').status, 0);
  assert.equal(mustInRoot('find / -xdev -name "*tnc-agent*" ! -path "/tmp/*" -print').trim(), '');
  assert.notEqual(inRoot('getent passwd tnc-agent').status, 0);
  assert.notEqual(inRoot('getent group tnc-agent').status, 0);
});
