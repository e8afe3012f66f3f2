import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, parseIni } from '../../src/daemon/config';
import { formatCheck } from '../../src/daemon/doctor';
import { strongswanChecks, type StrongswanPaths } from '../../src/daemon/doctor-strongswan';

// doctor's strongSwan lines against real files: plugin folders with real shared objects (compiled
// here with cc: one that loads, one with a symbol nothing defines), snippets and tnc_config files.
// The installed strongSwan itself is checked by test/packaging/strongswan-client.test.ts.
const dir = mkdtempSync(join(tmpdir(), 'tnc-doctor-strongswan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (text = '') => buildConfig(parseIni(text, 'test.conf'));
const ALL = ['tnccs-20', 'tnc-imc', 'tnc-tnccs', 'eap-tnc', 'eap-ttls'];

function sharedObject(name: string, source: string): string {
  const c = join(dir, `${name}.c`);
  const so = join(dir, `${name}.so`);
  writeFileSync(c, source);
  execFileSync('cc', ['-shared', '-fPIC', '-o', so, c]);
  return so;
}
const loads = sharedObject('loads', 'int plugin_create(void) { return 1; }\n');
const unresolved = sharedObject(
  'unresolved',
  'extern int library_lacks_this(void);\nint plugin_create(void) { return library_lacks_this(); }\n',
);

/** A strongSwan-like tree: the named plugins (from `from`), snippets and a tnc_config. */
function host(
  name: string,
  o: { plugins?: string[]; from?: Record<string, string>; snippets?: Record<string, string>; tncConfig?: string },
): StrongswanPaths {
  const root = join(dir, name);
  const paths: StrongswanPaths = {
    pluginDir: join(root, 'plugins'),
    charonConfDir: join(root, 'charon'),
    tncConfig: join(root, 'tnc_config'),
    swanctl: join(root, 'no-swanctl'),
  };
  mkdirSync(paths.pluginDir, { recursive: true });
  mkdirSync(paths.charonConfDir, { recursive: true });
  for (const p of o.plugins ?? ALL) copyFileSync(o.from?.[p] ?? loads, join(paths.pluginDir, `libstrongswan-${p}.so`));
  for (const p of ['tnccs-20', 'tnc-imc'])
    writeFileSync(join(paths.charonConfDir, `${p}.conf`), o.snippets?.[p] ?? `${p} {\n    load = yes\n}\n`);
  if (o.tncConfig !== undefined) writeFileSync(paths.tncConfig, o.tncConfig);
  return paths;
}
function tncConfigFor(names: string[]): string {
  return names
    .map((n) => {
      const lib = join(dir, `imc-${n}.so`);
      copyFileSync(loads, lib);
      return `IMC "${n}" ${lib}\n`;
    })
    .join('');
}
const lines = async (paths: StrongswanPaths, text = '') =>
  (await strongswanChecks(config(text), paths)).map(formatCheck);

test('no strongSwan installed: one optional line that says what to install for VPN attestation', async () => {
  const checks = await strongswanChecks(config(), {
    pluginDir: join(dir, 'none'),
    charonConfDir: join(dir, 'none'),
    tncConfig: join(dir, 'none'),
    swanctl: join(dir, 'none'),
  });
  assert.equal(checks.length, 1);
  assert.equal(checks[0].required, false);
  assert.match(
    formatCheck(checks[0]),
    /^✗ strongSwan TNC client: no strongSwan installed .*\(optional with this configuration\) \(hint: only for VPN attestation: apt install strongswan-charon libcharon-extra-plugins tnc-agent-strongswan-plugins/,
  );
});

test('a stock Debian strongSwan (no tnccs-20, no tnc-imc) fails with the companion package as the fix', async () => {
  const paths = host('stock', { plugins: ['tnc-tnccs', 'eap-tnc', 'eap-ttls'], tncConfig: tncConfigFor(['os']) });
  const [plugins, ...rest] = await strongswanChecks(config(), paths);
  assert.deepEqual([plugins.ok, plugins.required], [false, true]);
  assert.equal(
    formatCheck(plugins),
    `✗ strongSwan TNC plugins: tnccs-20, tnc-imc missing in ${paths.pluginDir}: strongSwan cannot load the agent's IMCs (hint: apt install tnc-agent-strongswan-plugins (built by tnc-agent's scripts/package-strongswan-plugins.sh; docs/vpn.md))`,
  );
  assert.deepEqual(
    rest.map((c) => c.name),
    ['TNC client IMC list'],
    'no load check without the files',
  );
  const noExtra = host('no-extra', { plugins: ['tnccs-20', 'tnc-imc'], tncConfig: '' });
  assert.match(
    (await lines(noExtra))[0],
    /tnc-tnccs, eap-tnc, eap-ttls missing .*\(hint: apt install libcharon-extra-plugins\)$/,
  );
});

test('with the plugins, their tnc_config and [bridge] socket set, every line passes and is required', async () => {
  const paths = host('good', { tncConfig: tncConfigFor(['os', 'swima', 'attestation']) });
  const checks = await strongswanChecks(config('[swima]\nenabled = yes\n[attestation]\nenabled = yes\n'), paths);
  assert.deepEqual(
    checks.map((c) => [c.name, c.ok, c.required]),
    [
      ['strongSwan TNC plugins', true, true],
      ['strongSwan TNC plugins load', true, true],
      ['TNC client IMC list', true, true],
    ],
  );
  assert.match(checks[1].detail, /^tnccs-20 and tnc-imc load with every symbol resolved \(no running charon to ask\)$/);
  assert.match(checks[2].detail, /names .*imc-os\.so, .*imc-swima\.so, .*imc-attestation\.so$/);
  const off = await strongswanChecks(config('[bridge]\nsocket =\n'), paths);
  assert.ok(
    off.every((c) => !c.required),
    'without the bridge the VPN lines are optional',
  );
});

test('a plugin that does not fit this strongSwan (a symbol nothing exports) or a snippet that turns it off fails', async () => {
  const bad = host('unresolved', { from: { 'tnc-imc': unresolved }, tncConfig: tncConfigFor(['os']) });
  assert.match(
    (await lines(bad))[1],
    /^✗ strongSwan TNC plugins load: .*libstrongswan-tnc-imc\.so does not load: .*undefined symbol: library_lacks_this \(hint: it must fit the installed strongSwan: rebuild tnc-agent-strongswan-plugins/,
  );
  const off = host('off', {
    snippets: { 'tnccs-20': 'tnccs-20 {\n    load = no\n}\n' },
    tncConfig: tncConfigFor(['os']),
  });
  assert.match(
    (await lines(off))[1],
    /^✗ strongSwan TNC plugins load: .*tnccs-20\.conf says load = no \(hint: set load = yes/,
  );
});

test('tnc_config: missing, lacking an enabled IMC, or naming a library that is not there each fail with the fix', async () => {
  const missing = host('no-tnc-config', {});
  assert.match(
    (await lines(missing))[2],
    /^✗ TNC client IMC list: .*tnc_config: ENOENT: strongSwan loads no IMC \(hint: cp \/usr\/share\/doc\/tnc-agent\/tnc_config\.example /,
  );
  const osOnly = host('os-only', { tncConfig: tncConfigFor(['os']) });
  assert.match(
    (await lines(osOnly, '[swima]\nenabled = yes\n'))[2],
    /^✗ TNC client IMC list: .* does not name imc-swima\.so \(hint: add the lines/,
  );
  assert.match(
    (await lines(osOnly))[2],
    /^✓ TNC client IMC list: .* names .*imc-os\.so$/,
    'SWIMA is not needed while it is off',
  );
  const gone = host('gone', { tncConfig: `IMC "OS" ${join(dir, 'lib', 'imc-os.so')}\n` });
  assert.match((await lines(gone))[2], /names .*lib\/imc-os\.so, which does not exist/);
});
