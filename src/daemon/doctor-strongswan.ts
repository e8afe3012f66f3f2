import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AgentConfig } from './config';
import type { Check } from './doctor';

/**
 * doctor: strongSwan's TNC client, when a strongSwan is installed. charon (and pt-tls-client)
 * read /etc/tnc_config only through the tnc-imc plugin and speak PB-TNC only through tnccs-20,
 * which Debian 12 and Ubuntu do not ship (docs/vpn.md): tnc-agent-strongswan-plugins adds them.
 */
export interface StrongswanPaths {
  /** strongSwan's plugin folder (Debian and Ubuntu: /usr/lib/ipsec/plugins). */
  pluginDir: string;
  /** The plugins' load snippets for charon. */
  charonConfDir: string;
  /** The TNC client's IMC list (strongSwan's libtnccs.plugins.tnc-imc.tnc_config default). */
  tncConfig: string;
  /** swanctl, which asks a running charon for its loaded plugins. */
  swanctl: string;
}

export const STRONGSWAN_PATHS: StrongswanPaths = {
  pluginDir: '/usr/lib/ipsec/plugins',
  charonConfDir: '/etc/strongswan.d/charon',
  tncConfig: '/etc/tnc_config',
  swanctl: '/usr/sbin/swanctl',
};

const COMPANION = 'tnc-agent-strongswan-plugins';
/** What the TNC client needs beyond charon; where each comes from on Debian and Ubuntu. */
const PLUGINS: { name: string; pkg: string }[] = [
  { name: 'tnccs-20', pkg: COMPANION },
  { name: 'tnc-imc', pkg: COMPANION },
  { name: 'tnc-tnccs', pkg: 'libcharon-extra-plugins' },
  { name: 'eap-tnc', pkg: 'libcharon-extra-plugins' },
  { name: 'eap-ttls', pkg: 'libcharon-extra-plugins' },
];
/** The two whose loading doctor proves: the ones the distribution lacks. */
const ADDED = ['tnccs-20', 'tnc-imc'];
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
const pluginFile = (p: StrongswanPaths, name: string) => join(p.pluginDir, `libstrongswan-${name}.so`);

export async function strongswanChecks(c: AgentConfig, paths: StrongswanPaths = STRONGSWAN_PATHS): Promise<Check[]> {
  if (!(await exists(paths.pluginDir))) {
    return [
      {
        name: 'strongSwan TNC client',
        ok: false,
        required: false,
        detail: `no strongSwan installed (${paths.pluginDir})`,
        hint: `only for VPN attestation: apt install strongswan-charon libcharon-extra-plugins ${COMPANION} (docs/vpn.md)`,
      },
    ];
  }
  // with [bridge] socket set the host means to attest over the VPN: its strongSwan must be able to
  const required = Boolean(c.bridge.socket);
  const present = await pluginsCheck(paths, required);
  const out = [present];
  if (present.ok) out.push(await loadCheck(paths, required));
  out.push(await tncConfigCheck(c, paths, required));
  return out;
}

async function pluginsCheck(p: StrongswanPaths, required: boolean): Promise<Check> {
  const name = 'strongSwan TNC plugins';
  const missing = [];
  for (const plugin of PLUGINS) if (!(await exists(pluginFile(p, plugin.name)))) missing.push(plugin);
  if (missing.length === 0)
    return { name, ok: true, required, detail: `${PLUGINS.map((x) => x.name).join(', ')} in ${p.pluginDir}` };
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const hint = `apt install ${pkgs.join(' ')}${pkgs.includes(COMPANION) ? ` (built by tnc-agent's scripts/package-strongswan-plugins.sh; docs/vpn.md)` : ''}`;
  return {
    name,
    ok: false,
    required,
    detail: `${missing.map((m) => m.name).join(', ')} missing in ${p.pluginDir}: strongSwan cannot load the agent's IMCs`,
    hint,
  };
}

/**
 * Loaded: a running charon's own list (`swanctl --stats`); without one, each added plugin loads in
 * a child process with every symbol bound at once (LD_BIND_NOW), as charon's dlopen would need,
 * and its snippet does not turn it off.
 */
async function loadCheck(p: StrongswanPaths, required: boolean): Promise<Check> {
  const name = 'strongSwan TNC plugins load';
  const loaded = await charonPlugins(p);
  if (loaded) {
    const missing = ADDED.filter((n) => !loaded.includes(n));
    if (missing.length === 0)
      return { name, ok: true, required, detail: `the running charon has loaded ${ADDED.join(' and ')}` };
    return {
      name,
      ok: false,
      required,
      detail: `the running charon has not loaded ${missing.join(', ')}`,
      hint: `check \`load = yes\` in ${p.charonConfDir}/<plugin>.conf and the plugins' lines in charon's log, then restart strongSwan`,
    };
  }
  for (const plugin of ADDED) {
    const error = await dlopenError(pluginFile(p, plugin));
    if (error)
      return {
        name,
        ok: false,
        required,
        detail: `${pluginFile(p, plugin)} does not load: ${error}`,
        hint: `it must fit the installed strongSwan: rebuild ${COMPANION} for this version (scripts/package-strongswan-plugins.sh)`,
      };
    const snippet = join(p.charonConfDir, `${plugin}.conf`);
    const text = await readFile(snippet, 'utf8').catch(() => undefined);
    if (text === undefined)
      return {
        name,
        ok: false,
        required,
        detail: `${snippet} is missing: charon does not load ${plugin}`,
        hint: `reinstall ${COMPANION} (apt install --reinstall ${COMPANION})`,
      };
    if (/^\s*load\s*=\s*no\s*$/m.test(text))
      return { name, ok: false, required, detail: `${snippet} says load = no`, hint: `set load = yes in ${snippet}` };
  }
  return {
    name,
    ok: true,
    required,
    detail: `${ADDED.join(' and ')} load with every symbol resolved (no running charon to ask)`,
  };
}

/** The plugins a running charon lists in `swanctl --stats`, or undefined when that cannot tell. */
function charonPlugins(p: StrongswanPaths): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    execFile(p.swanctl, ['--stats'], { timeout: 5000 }, (err, stdout) => {
      const line = /^loaded plugins: (.*)$/m.exec(stdout ?? '');
      resolve(err || !line ? undefined : line[1].trim().split(/\s+/));
    });
  });
}

/** dlopen in a child Node (a strongSwan plugin has no Node module in it: "did not self-register" = loaded). */
function dlopenError(file: string): Promise<string | undefined> {
  const script =
    'try { process.dlopen({ exports: {} }, process.argv[1]); } catch (e) { if (!/did not self-register/.test(e.message)) { console.log(e.message); process.exit(1); } }';
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', script, file],
      { timeout: 10000, env: { ...process.env, LD_BIND_NOW: '1' } },
      (err, stdout) => {
        resolve(err ? stdout.trim().split('\n').pop() || err.message : undefined);
      },
    );
  });
}

/** /etc/tnc_config (`IMC "<name>" <path>` lines) names the agent's libraries the configuration uses, and they exist. */
async function tncConfigCheck(c: AgentConfig, p: StrongswanPaths, required: boolean): Promise<Check> {
  const name = 'TNC client IMC list';
  const fix = `cp /usr/share/doc/tnc-agent/tnc_config.example ${p.tncConfig}`;
  let text: string;
  try {
    text = await readFile(p.tncConfig, 'utf8');
  } catch (e) {
    return {
      name,
      ok: false,
      required,
      detail: `${p.tncConfig}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}: strongSwan loads no IMC`,
      hint: fix,
    };
  }
  const named = [...text.matchAll(/^\s*IMC\s+"[^"]*"\s+(\S+)/gm)].map((m) => m[1]);
  const wanted = ['os', ...(c.swima.enabled ? ['swima'] : []), ...(c.attestation.enabled ? ['attestation'] : [])].map(
    (n) => `imc-${n}.so`,
  );
  const missing = wanted.filter((lib) => !named.some((path) => basename(path) === lib));
  if (missing.length)
    return {
      name,
      ok: false,
      required,
      detail: `${p.tncConfig} does not name ${missing.join(', ')}`,
      hint: `add the lines of /usr/share/doc/tnc-agent/tnc_config.example (or ${fix})`,
    };
  const ours = named.filter((path) => /^imc-(os|swima|attestation)\.so$/.test(basename(path)));
  for (const path of ours)
    if (!(await exists(path)))
      return {
        name,
        ok: false,
        required,
        detail: `${p.tncConfig} names ${path}, which does not exist`,
        hint: 'name the libraries tnc-agent installs: /usr/lib/tnc-agent/imc-*.so',
      };
  return { name, ok: true, required, detail: `${p.tncConfig} names ${ours.join(', ')}` };
}
