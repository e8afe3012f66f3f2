import { access, constants as fs, readFile } from 'node:fs/promises';
import { streamImaFile } from '../measurements/ima/stream';
import { parseDpkgStatus } from '../imcs/os/dpkg-status';
import { Tpm } from '../tpm/tpm';
import { buildConfig, loadConfig, type AgentConfig } from './config';
import { partChecks } from './doctor-parts';
import { STRONGSWAN_PATHS, strongswanChecks, type StrongswanPaths } from './doctor-strongswan';
import { serverChecks } from './doctor-tls';

/**
 * `tnc-agent doctor`: what this host has and lacks for the agent, one line per check. A check is
 * required when the configuration needs it (TPM, AK and IMA only with [attestation] enabled, the
 * SWIMA store with [swima] enabled, the IF-IMC bridge socket and, when strongSwan is installed, its
 * TNC plugins and /etc/tnc_config when [bridge] socket is set).
 */
export interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
  hint?: string;
}

export async function runDoctor(
  configFile?: string,
  confDir?: string,
  strongswan: StrongswanPaths = STRONGSWAN_PATHS,
): Promise<Check[]> {
  let config: AgentConfig;
  const checks: Check[] = [];
  try {
    config = await loadConfig(configFile, confDir);
    checks.push({ name: 'configuration', ok: true, required: true, detail: config.files.join(', ') });
  } catch (e) {
    config = buildConfig();
    checks.push({
      name: 'configuration',
      ok: false,
      required: true,
      detail: (e as Error).message,
      hint: 'fix the file (see `tnc-agent daemon --help`); the checks below use the defaults',
    });
  }
  checks.push(await deviceIdCheck(config), await dpkgCheck(config));
  checks.push(...(await serverChecks(config)));
  checks.push(...(await partChecks(config)));
  checks.push(...(await strongswanChecks(config, strongswan)));
  checks.push(...(await tpmChecks(config)), ...(await imaChecks(config)));
  return checks;
}

export function formatCheck(c: Check): string {
  const optional = !c.ok && !c.required ? ' (optional with this configuration)' : '';
  return `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${optional}${c.ok || !c.hint ? '' : ` (hint: ${c.hint})`}`;
}

const errText = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

async function deviceIdCheck(c: AgentConfig): Promise<Check> {
  const name = 'device ID';
  if (c.os.deviceId) return { name, ok: true, required: true, detail: `configured: ${c.os.deviceId}` };
  try {
    const id = (await readFile(c.os.machineId, 'utf8')).trim();
    if (!id) throw new Error('empty');
    return { name, ok: true, required: true, detail: `derived from ${c.os.machineId}` };
  } catch (e) {
    return {
      name,
      ok: false,
      required: true,
      detail: `${c.os.machineId}: ${errText(e)}`,
      hint: 'run `systemd-machine-id-setup` or set [os] device-id',
    };
  }
}

async function dpkgCheck(c: AgentConfig): Promise<Check> {
  const name = 'dpkg';
  try {
    const n = parseDpkgStatus(await readFile(c.os.dpkgStatus, 'utf8')).packages.length;
    return {
      name,
      ok: n > 0,
      required: true,
      detail: `${n} packages installed (${c.os.dpkgStatus})`,
      hint: 'the package database is empty',
    };
  } catch (e) {
    return {
      name,
      ok: false,
      required: true,
      detail: `${c.os.dpkgStatus}: ${errText(e)}`,
      hint: 'the OS and SWIMA IMCs report dpkg packages: is this a Debian or Ubuntu host? else set [os] dpkg-status',
    };
  }
}

async function tpmChecks(c: AgentConfig): Promise<Check[]> {
  const required = c.attestation.enabled;
  const dev = /^device(?::(.*))?$/.exec(c.attestation.tcti);
  const out: Check[] = [];
  if (dev) {
    const path = dev[1] || '/dev/tpmrm0';
    try {
      await access(path, fs.R_OK | fs.W_OK);
      out.push({ name: 'TPM device', ok: true, required, detail: `${path} is readable and writable by this user` });
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      const hint = missing
        ? 'enable the TPM 2.0 in the firmware setup; in a VM add a vTPM (swtpm)'
        : 'run as root or add the user to the group owning it (usually tss)';
      return [
        { name: 'TPM device', ok: false, required, detail: `${path}: ${missing ? 'not found' : errText(e)}`, hint },
      ];
    }
  }
  out.push(await akCheck(c, required));
  return out;
}

async function akCheck(c: AgentConfig, required: boolean): Promise<Check> {
  const name = 'attestation key';
  const handle = `0x${c.attestation.akHandle.toString(16)}`;
  let tpm: Tpm | undefined;
  try {
    tpm = await Tpm.open(c.attestation.tcti);
    const ok = await tpm.exists(c.attestation.akHandle);
    return {
      name,
      ok,
      required,
      detail: ok ? `AK present at ${handle}` : `no AK at ${handle}`,
      hint: `run \`tnc-agent tpm provision --ak-handle ${handle}\` once`,
    };
  } catch (e) {
    return {
      name,
      ok: false,
      required,
      detail: `cannot use the TPM (${c.attestation.tcti}): ${(e as Error).message}`,
      hint: 'see the TPM device line; for a software TPM set [attestation] tcti',
    };
  } finally {
    await tpm?.close().catch(() => undefined);
  }
}

async function imaChecks(c: AgentConfig): Promise<Check[]> {
  const required = c.attestation.enabled;
  const securityfsHint = 'mount securityfs (/sys/kernel/security) and run as root or a user allowed to read it';
  const log = c.attestation.eventLog;
  const eventLog: Check = await access(log, fs.R_OK).then(
    () => ({ name: 'firmware event log', ok: true, required, detail: `${log} is readable` }),
    (e) => ({
      name: 'firmware event log',
      ok: false,
      required,
      detail: `${log}: ${errText(e)}`,
      hint: `needs a TPM 2.0 with a UEFI event log; ${securityfsHint}`,
    }),
  );
  const path = c.attestation.imaList;
  const templates = new Map<string, number>();
  try {
    for await (const e of streamImaFile(path)) templates.set(e.template, (templates.get(e.template) ?? 0) + 1);
  } catch (e) {
    const hint =
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'boot a kernel with IMA (CONFIG_IMA=y) and ima_policy=tcb on its command line'
        : securityfsHint;
    return [{ name: 'IMA measurement list', ok: false, required, detail: `${path}: ${errText(e)}`, hint }, eventLog];
  }
  return [
    { name: 'IMA measurement list', ok: true, required, detail: `${path} is readable` },
    imaPolicyCheck(templates, required),
    eventLog,
  ];
}

/** What the list shows of the IMA policy and template: only boot_aggregate = nothing measured. */
function imaPolicyCheck(templates: Map<string, number>, required: boolean): Check {
  const total = [...templates.values()].reduce((a, b) => a + b, 0);
  const names = [...templates].map(([t, n]) => `${t}×${n}`).join(', ') || 'none';
  const name = 'IMA policy and template';
  if (total <= 1)
    return {
      name,
      ok: false,
      required,
      detail: `${total} entries: the policy measures nothing after boot`,
      hint: 'add ima_policy=tcb (or load a policy) to measure executables',
    };
  if (templates.has('ima'))
    return {
      name,
      ok: false,
      required,
      detail: `templates ${names}: the legacy 'ima' template carries SHA-1 digests only`,
      hint: 'boot with ima_template=ima-ng (or ima-sig)',
    };
  return { name, ok: true, required, detail: `${total} entries, templates ${names}` };
}
