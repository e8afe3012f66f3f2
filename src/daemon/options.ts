/**
 * Every option of /etc/tnc-agent/agent.conf, with its default and a one-line description.
 * `tnc-agent daemon --help` prints this table and docs/configuration.md documents each entry
 * (a test checks that none is missing there).
 */
export type OptionKind = 'string' | 'path' | 'bool' | 'duration' | 'level' | 'format' | 'address' | 'handle' | 'count';

export interface OptionSpec {
  readonly section: string;
  readonly key: string;
  readonly kind: OptionKind;
  /** The value when no file sets it, in the file syntax ('' = unset). */
  readonly default: string;
  readonly doc: string;
}

const o = (section: string, key: string, kind: OptionKind, def: string, doc: string): OptionSpec => ({
  section,
  key,
  kind,
  default: def,
  doc,
});

export const OPTIONS: readonly OptionSpec[] = [
  o(
    'server',
    'address',
    'address',
    '',
    'TNC server HOST[:PORT] (PT-TLS, port 271 by default); unset = the daemon idles until configured',
  ),
  o('server', 'ca', 'path', '/etc/tnc-agent/ca.pem', 'CA certificate(s) (PEM) that sign the server certificate'),
  o('server', 'cert', 'path', '', 'client certificate (PEM); its CN is the identity the server sees'),
  o('server', 'key', 'path', '', 'client private key (PEM)'),
  o('server', 'servername', 'string', '', 'name to verify in the server certificate (default: the host of address)'),
  o('server', 'language', 'string', 'en', "preferred language for the server's messages"),
  o('server', 'handshake-timeout', 'duration', '5m', 'give up a handshake that has not ended after this long'),
  o('server', 'max-rounds', 'count', '1000', 'give up a handshake after this many batches from the server'),
  o(
    'server',
    'max-server-retries',
    'count',
    '5',
    'give up a handshake after this many retries the server asks for (SRETRY)',
  ),
  o('schedule', 'on-start', 'bool', 'yes', 'attest as soon as the daemon starts'),
  o(
    'schedule',
    'interval',
    'duration',
    '1h',
    're-attest this long after each success (0 = only on start, change and request)',
  ),
  o(
    'schedule',
    'retry-min',
    'duration',
    '10s',
    'first retry delay after a failed attestation; doubles on each further failure',
  ),
  o('schedule', 'retry-max', 'duration', '15m', 'longest retry delay'),
  o(
    'schedule',
    'on-package-change',
    'bool',
    'yes',
    're-attest when the dpkg status database changes (a package was installed or removed)',
  ),
  o(
    'schedule',
    'settle',
    'duration',
    '5s',
    'wait this long after the last change before re-attesting (dpkg writes several times per run)',
  ),
  o('log', 'level', 'level', '1', '0 outcomes and errors only, 1 events, 2 messages, 3 wire detail'),
  o('log', 'format', 'format', 'text', 'text (one tagged line per event) or json (one JSON object per line)'),
  o(
    'control',
    'socket',
    'path',
    '/run/tnc-agent/control.sock',
    'Unix socket for `tnc-agent daemon --attest-now` and `--status` (empty = none)',
  ),
  o('state', 'dir', 'path', '/var/lib/tnc-agent', 'where the daemon keeps its state (last-attestation.json)'),
  o('os', 'device-id', 'string', '', 'device ID to report (default: SHA-1 of /etc/machine-id)'),
  o('os', 'default-password', 'bool', 'no', 'report that a factory default password is still set'),
  o('os', 'os-release', 'path', '/etc/os-release', 'os-release file to read'),
  o(
    'os',
    'dpkg-status',
    'path',
    '/var/lib/dpkg/status',
    'dpkg status database (installed packages); also watched for on-package-change',
  ),
  o('os', 'machine-id', 'path', '/etc/machine-id', 'machine-id file the default device ID derives from'),
  o('os', 'proc-root', 'path', '/proc', 'where /proc is mounted'),
  o(
    'attestation',
    'enabled',
    'bool',
    'no',
    'run the TPM Attestation IMC (TCG PTS): needs the TPM, an AK and the IMA list',
  ),
  o(
    'attestation',
    'tcti',
    'string',
    'device:/dev/tpmrm0',
    'tpm2-tss TCTI: device:/dev/tpmrm0, swtpm:host=H,port=P, mssim:host=H,port=P',
  ),
  o(
    'attestation',
    'ak-handle',
    'handle',
    '0x81010003',
    'persistent handle of the Attestation Key (make it with `tnc-agent tpm provision`)',
  ),
  o(
    'attestation',
    'ima-list',
    'path',
    '/sys/kernel/security/ima/binary_runtime_measurements',
    'IMA measurement list (binary)',
  ),
  o(
    'attestation',
    'ima-poll',
    'duration',
    '0',
    'with the IF-IMC bridge: look for new IMA measurements this often and ask charon to re-assess established VPN connections (0 = never)',
  ),
  o(
    'attestation',
    'event-log',
    'path',
    '/sys/kernel/security/tpm0/binary_bios_measurements',
    'firmware (TCG PC Client) event log',
  ),
  o(
    'swima',
    'enabled',
    'bool',
    'no',
    'run the SWIMA IMC (RFC 8412 software inventory), collecting live as dpkg changes',
  ),
  o('swima', 'store', 'path', '', 'SWIMA event store (SQLite; default: swima.db in the state dir)'),
  o(
    'swima',
    'dpkg-root',
    'path',
    '/',
    'root of the dpkg database the SWIMA collector reads and watches (<root>/var/lib/dpkg/status)',
  ),
  o(
    'bridge',
    'socket',
    'path',
    '/run/tnc-agent/imc.sock',
    "Unix socket where strongSwan's charon loads the agent's IMCs (/usr/lib/tnc-agent/imc-*.so; empty = none)",
  ),
];

export function optionSpec(section: string, key: string): OptionSpec | undefined {
  return OPTIONS.find((s) => s.section === section && s.key === key);
}

/** The option table as `tnc-agent daemon --help` shows it. */
export function optionsHelp(): string {
  const rows: string[] = [];
  let section = '';
  for (const s of OPTIONS) {
    if (s.section !== section) rows.push(`  [${(section = s.section)}]`);
    rows.push(`    ${s.key} = ${s.default || '(unset)'}`, `        ${s.doc}`);
  }
  return rows.join('\n');
}

/** 90000 → "1m30s", the way durations are written in the file. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) parts.push(`${Math.floor(s / size)}${unit}`);
    s %= size;
  }
  return parts.join('');
}
