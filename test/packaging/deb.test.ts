import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipUnlessRequired } from '../helpers/require';
import { missingTool, must, repo, sh, unpackBaseRoot, version } from './debian-root';

// The .deb in a clean Debian 12 root: install with its dependencies, --version, a handshake and
// doctor on the runtime the package carries, upgrade, purge. Needs root, debootstrap and Debian's
// mirror; `npm run test:deb` runs it (a named CI step). `npm test` runs the same code on the
// development Node, so both runtimes' ABIs (native modules included) are exercised.
const upgradeVersion = `${version}+upgrade1`;
/** The runtime packaging/deb/node-runtime pins (scripts/package-deb.sh bundles it). */
const nodeVersion = /^node_version=(\d+\.\d+\.\d+)$/m.exec(
  readFileSync(join(repo, 'packaging', 'deb', 'node-runtime'), 'utf8'),
)![1];

function whyNot(): string | undefined {
  if (process.env.TNC_TEST_DEB !== '1') return 'the .deb install test runs in its own CI step: `npm run test:deb`';
  if (process.getuid?.() !== 0) return 'needs root (debootstrap, chroot, dpkg)';
  return missingTool(['debootstrap', 'dpkg-deb', 'dpkg-shlibdeps', 'chroot']);
}
const skip = skipUnlessRequired('deb', whyNot());
if (skip) console.log(`# skipping the .deb test: ${skip}`);

const esc = (s: string) => s.replace(/[.+]/g, '\\$&');

let work: string;
let root: string;
const inRoot = (cmd: string) =>
  sh(`chroot ${root} sh -c '${cmd.replace(/'/g, `'\\''`)}'`, {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    DEBIAN_FRONTEND: 'noninteractive',
    LANG: 'C.UTF-8',
  });
const mustInRoot = (cmd: string): string => {
  const r = inRoot(cmd);
  assert.equal(r.status, 0, `in the chroot, ${cmd} failed:\n${r.out.slice(-4000)}`);
  return r.out;
};

before(() => {
  if (skip) return;
  work = mkdtempSync('/var/tmp/tnc-deb-');
  root = join(work, 'root');
  unpackBaseRoot(work, root);
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

test(
  'apt installs the .deb with its libtss2 dependencies; the service user, state and unit are in place',
  { skip },
  () => {
    mustInRoot('apt-get update -qq');
    mustInRoot(`apt-get install -y -qq --no-install-recommends /tmp/tnc-agent_${version}_*.deb`);
    assert.match(
      mustInRoot('dpkg-query -W -f="\\${Status} \\${Version}" tnc-agent'),
      new RegExp(`install ok installed ${version.replace(/\./g, '\\.')}$`),
    );
    for (const lib of ['libtss2-esys-3.0.2-0', 'libtss2-tctildr0', 'libtss2-mu0', 'libtss2-rc0'])
      mustInRoot(`dpkg -s ${lib} >/dev/null`);
    assert.match(mustInRoot('id tnc-agent'), /groups=.*\btss\b/);
    assert.match(mustInRoot('stat -c "%U %a" /var/lib/tnc-agent'), /^tnc-agent 750/);
    mustInRoot('test -f /lib/systemd/system/tnc-agent.service && test -f /etc/tnc-agent/agent.conf');
    assert.match(
      mustInRoot('grep -E "^RuntimeDirectory=" /lib/systemd/system/tnc-agent.service'),
      /^RuntimeDirectory=tnc-agent$/m,
    );
  },
);

test('the IF-IMC libraries for strongSwan are installed, load, and the package depends on libc6', { skip }, () => {
  for (const name of ['os', 'swima', 'attestation']) {
    const lib = `/usr/lib/tnc-agent/imc-${name}.so`;
    assert.match(mustInRoot(`od -An -c -N4 ${lib}`), /177\s+E\s+L\s+F/, `${lib} is not an ELF file`);
    // the bundled Node dlopens it: every symbol resolves against the chroot's libc
    const exports = mustInRoot(
      `/usr/lib/tnc-agent/node -e 'const m = { exports: {} }; try { process.dlopen(m, "${lib}"); } catch (e) { if (!/Module did not self-register/.test(e.message)) throw e; } console.log("loaded")'`,
    );
    assert.match(exports, /^loaded$/m);
  }
  assert.match(mustInRoot('dpkg-query -W -f="\\${Depends}" tnc-agent'), /(^|, )libc6 \(>= [^)]+\)/);
  const example = mustInRoot('cat /usr/share/doc/tnc-agent/tnc_config.example');
  for (const [imc, name] of [
    ['OS', 'os'],
    ['SWIMA', 'swima'],
    ['Attestation', 'attestation'],
  ])
    assert.match(example, new RegExp(`^IMC "${imc}"\\s+/usr/lib/tnc-agent/imc-${name}\\.so$`, 'm'));
  mustInRoot('test -f /usr/share/doc/tnc-agent/vpn.md');
});

test('the installed CLI runs on the bundled Node: --version, a SWIMA collection and doctor', { skip }, () => {
  assert.match(
    mustInRoot('tnc-agent --version').trim(),
    new RegExp(`^tnc-agent ${esc(version)} \\(Node\\.js ${esc(nodeVersion)}, OpenSSL \\d+\\.\\d+\\.\\d+\\)$`),
  );
  // the bundled better-sqlite3 works without the install-time modules the package leaves out
  mustInRoot('tnc-agent swima collect');
  const doctor = inRoot('tnc-agent doctor');
  assert.equal(doctor.status, 1, `doctor should fail without a server:\n${doctor.out}`);
  assert.match(doctor.out, /^✓ configuration: \/etc\/tnc-agent\/agent\.conf$/m);
  assert.match(doctor.out, /^✓ dpkg: \d+ packages installed/m);
  assert.match(doctor.out, /^✗ server address: not configured/m);
  assert.match(doctor.out, /^✗ TPM device: \/dev\/tpmrm0: not found \(optional/m);
  assert.match(
    doctor.out,
    /^✗ IF-IMC bridge socket: \/run\/tnc-agent\/imc\.sock: not there: the daemon is not running \(hint: start it/m,
  );
  assert.match(
    doctor.out,
    /^✓ SWIMA store: \/var\/lib\/tnc-agent\/swima\.db: epoch 0x[0-9a-f]{8}, last EID [1-9]\d*, [1-9]\d* software identifiers installed$/m,
  );
});

test(
  'the .deb carries the pinned Node.js LTS runtime and exactly the modules `npm ci --omit=dev` installs',
  { skip },
  () => {
    const listing = must(`dpkg-deb -c ${work}/debs/tnc-agent_${version}_*.deb`);
    assert.match(listing, new RegExp(`^-rwxr-xr-x root/root .* \\./usr/lib/tnc-agent/node-v${esc(nodeVersion)}$`, 'm'));
    assert.match(
      listing,
      new RegExp(`^lrwxrwxrwx root/root .* \\./usr/lib/tnc-agent/node -> node-v${esc(nodeVersion)}$`, 'm'),
    );
    // the runtime itself, run in the clean root: the pinned version of an LTS line, and the
    // native modules it loads were built for its ABI (a module built for another ABI fails to load)
    const runtime = JSON.parse(
      mustInRoot(
        `cd /usr/lib/tnc-agent && ./node -e 'require("better-sqlite3"); require("./build/Release/tnc_tpm.node"); console.log(JSON.stringify({ v: process.versions.node, lts: process.release.lts ?? null, abi: process.versions.modules }))'`,
      ),
    ) as { v: string; lts: string | null; abi: string };
    assert.equal(runtime.v, nodeVersion);
    assert.ok(runtime.lts, `Node.js ${runtime.v} is not an LTS release`);
    assert.ok(Number(nodeVersion.split('.')[0]) >= 24, 'Node.js 24 or newer');
    const shipped = [
      ...listing.matchAll(
        /\.\/usr\/lib\/tnc-agent\/(node_modules\/(?:@[^/]+\/)?[^/]+(?:\/node_modules\/(?:@[^/]+\/)?[^/]+)*)\/package\.json$/gm,
      ),
    ]
      .map((m) => m[1])
      .sort();
    const runtimeTree = must(`cd ${repo} && npm ls --omit=dev --all --parseable`)
      .trim()
      .split('\n')
      .slice(1)
      .map((p) => p.slice(repo.length + 1))
      .sort();
    assert.deepEqual(shipped, runtimeTree);
    for (const dev of ['tsx', 'esbuild', 'node-addon-api', 'typescript'])
      assert.ok(!shipped.includes(`node_modules/${dev}`), `${dev} is a build tool`);
  },
);

test(
  'a real handshake on the bundled runtime: the installed server and agent, then doctor reaches the server',
  { skip },
  async () => {
    // a minbase root has no machine ID: the OS IMC derives the device ID from one
    mustInRoot('test -s /etc/machine-id || od -An -N16 -tx1 /dev/urandom | tr -d " \\n" > /etc/machine-id');
    // the lab PKI comes from the checkout (`tnc-agent pki` runs the openssl CLI, which a minbase root lacks)
    must(`node ${repo}/bin/tnc-agent.js pki --out ${root}/root/lab`);
    const server = spawn(
      'chroot',
      [
        root,
        '/usr/bin/tnc-agent',
        '--server-mode',
        '--listen',
        '127.0.0.1:0',
        '--db',
        '/root/lab/policy.db',
        '--cert',
        '/root/lab/server.pem',
        '--key',
        '/root/lab/server.key',
        '--ca',
        '/root/lab/ca.pem',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } },
    );
    let serverLog = '';
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.stderr.on('data', (d: Buffer) => {
          serverLog += d.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(serverLog);
          if (m) resolve(Number(m[1]));
        });
        server.once('exit', (code) => reject(new Error(`the installed server exited ${code}:\n${serverLog}`)));
      });
      const attest = inRoot(
        `tnc-agent attest --server 127.0.0.1:${port} --cert /root/lab/client.pem --key /root/lab/client.key --ca /root/lab/ca.pem`,
      );
      assert.equal(attest.status, 0, `attest on the bundled runtime:\n${attest.out}\nserver:\n${serverLog}`);
      assert.match(attest.out, /final recommendation is 'allow'/);
      // the OS IMC's systeminformation facts, on the bundled runtime in a root without iproute2 or DMI
      assert.match(attest.out, /^\[IMC\] endpoint hardware: .*system UUID (unknown|[0-9a-f-]{36})/m);
      assert.match(attest.out, /^\[IMC\] machine address '\d+\.\d+\.\d+\.\d+' of type IPv4 address on \S+/m);
      // the server's lines arrive through its stderr pipe once the event loop runs again
      await eventually(() => /operating system version is '12 \S+'/.test(serverLog), 10_000);
      assert.match(serverLog, /operating system name is 'Debian' from vendor Debian/);
      assert.match(serverLog, /operating system version is '12 \S+'/);
      mustInRoot(
        `printf '[server]\naddress = 127.0.0.1:${port}\nca = /root/lab/ca.pem\ncert = /root/lab/client.pem\nkey = /root/lab/client.key\n' > /etc/tnc-agent/conf.d/50-lab.conf`,
      );
      const doctor = inRoot('tnc-agent doctor');
      assert.match(doctor.out, /^✓ device ID: derived from \/etc\/machine-id$/m);
      assert.match(doctor.out, /^✓ client certificate: \/root\/lab\/client\.pem: .*CN=tnc-client/m);
      assert.match(doctor.out, /^✓ server reachable: /m, doctor.out);
    } finally {
      server.kill('SIGTERM');
      if (server.exitCode === null) await new Promise((r) => server.once('exit', r));
      mustInRoot('rm -rf /root/lab /etc/tnc-agent/conf.d/50-lab.conf');
    }
  },
);

test('lintian finds no errors and no warnings in the .deb', { skip: skip ?? lintianMissing() }, () => {
  const deb = `${work}/debs/tnc-agent_${version}_*.deb`;
  const r = sh(`lintian --fail-on error,warning ${deb}`);
  assert.deepEqual(
    r.out.split('\n').filter((l) => /^[EW]: /.test(l)),
    [],
  );
  assert.equal(r.status, 0, r.out);
  assert.match(must(`dpkg-deb -c ${deb}`), /\.\/usr\/share\/man\/man1\/tnc-agent\.1\.gz$/m);
});

async function eventually(ok: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !ok() && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
}

function lintianMissing(): string | undefined {
  const why = skipUnlessRequired(
    'deb',
    sh('command -v lintian').status === 0 ? undefined : 'lintian is not installed (apt-get install lintian)',
  );
  if (why) console.log(`# skipping the lintian test: ${why}`);
  return why;
}

test('an upgrade keeps the edited conffile and runs the new version', { skip }, () => {
  mustInRoot('printf "\\n[log]\\nlevel = 2\\n" >> /etc/tnc-agent/agent.conf');
  mustInRoot(`apt-get install -y -qq -o Dpkg::Options::=--force-confold /tmp/tnc-agent_${upgradeVersion}_upgrade.deb`);
  assert.match(
    mustInRoot('tnc-agent --version'),
    new RegExp(`^tnc-agent ${esc(version)} \\(Node\\.js ${esc(nodeVersion)},`),
    "the CLI reports package.json's version",
  );
  assert.match(mustInRoot('dpkg-query -W -f="\\${Version}" tnc-agent'), new RegExp(`^${esc(upgradeVersion)}$`));
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
