import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LogFormat } from '../log';
import { parseHostPort } from '../agent/host-port';
import { DEFAULT_STORE_PATH } from '../imcs/swima/store-path';
import type { HandshakeLimits } from '../tnccs-client/client';
import { formatDuration, OPTIONS, optionSpec, type OptionKind } from './options';

/**
 * The agent's configuration: /etc/tnc-agent/agent.conf, then /etc/tnc-agent/conf.d/*.conf in name
 * order, later files overriding earlier ones key by key. INI syntax: `[section]`, `key = value`,
 * whole-line comments starting with # or ;. Unknown sections, keys and bad values are errors
 * naming the file and line (a typo must not silently fall back to a default).
 */
export const DEFAULT_CONFIG = '/etc/tnc-agent/agent.conf';

export class ConfigError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface AgentConfig {
  readonly server: {
    readonly address?: { host: string; port: number };
    readonly ca?: string;
    readonly cert?: string;
    readonly key?: string;
    readonly servername?: string;
    readonly language: string;
    readonly limits: HandshakeLimits;
  };
  readonly schedule: {
    readonly onStart: boolean;
    readonly intervalMs: number;
    readonly retryMinMs: number;
    readonly retryMaxMs: number;
    readonly onPackageChange: boolean;
    readonly settleMs: number;
  };
  readonly log: { readonly level: number; readonly format: LogFormat };
  readonly control: { readonly socket?: string };
  readonly stateDir?: string;
  readonly os: {
    readonly deviceId?: string;
    readonly defaultPassword: boolean;
    readonly osRelease: string;
    readonly dpkgStatus: string;
    readonly machineId: string;
    readonly procRoot: string;
  };
  readonly attestation: {
    readonly enabled: boolean;
    readonly tcti: string;
    readonly akHandle: number;
    readonly imaList: string;
    readonly imaPollMs: number;
    readonly eventLog: string;
  };
  readonly swima: { readonly enabled: boolean; readonly store?: string; readonly dpkgRoot: string };
  readonly bridge: { readonly socket?: string };
  /** The files read, in order (for logs and `doctor`). */
  readonly files: readonly string[];
}

interface Setting {
  value: string;
  where: string;
}
type Settings = Map<string, Setting>;

/** Parses one INI file into `settings` (section.key → value and where it was set). */
export function parseIni(text: string, file: string, settings: Settings = new Map()): Settings {
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const where = `${file}:${i + 1}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const head = /^\[([a-z-]+)\]$/.exec(line);
    if (head) {
      if (!OPTIONS.some((s) => s.section === head[1])) throw new ConfigError(where, `unknown section [${head[1]}]`);
      section = head[1];
      return;
    }
    const kv = /^([a-z-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new ConfigError(where, `expected "key = value", "[section]" or a # comment, not '${line}'`);
    if (!section) throw new ConfigError(where, `'${kv[1]}' is outside any [section]`);
    const spec = optionSpec(section, kv[1]);
    if (!spec) throw new ConfigError(where, `unknown option '${kv[1]}' in [${section}]`);
    parseValue(spec.kind, kv[2], where, `[${section}] ${kv[1]}`);
    settings.set(`${section}.${kv[1]}`, { value: kv[2], where });
  });
  return settings;
}

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Linux sockaddr_un: 108 bytes of sun_path, one of them the terminating NUL. */
export const MAX_SOCKET_PATH = 107;
/** The longest duration any option takes: one year (timers chain past Node's 24.8-day limit, src/daemon/timer.ts). */
export const MAX_DURATION_MS = 365 * 86_400_000;

function parseValue(kind: OptionKind, v: string, where: string, key: string): unknown {
  const bad = (what: string): never => {
    throw new ConfigError(where, `${key} = '${v}' is not ${what}`);
  };
  if (v === '') return undefined;
  switch (kind) {
    case 'bool':
      return /^(yes|true|on|1)$/i.test(v) ? true : /^(no|false|off|0)$/i.test(v) ? false : bad('yes or no');
    case 'duration': {
      const m = /^(\d{1,9})(ms|s|m|h|d)?$/.exec(v);
      if (!m || (m[2] === undefined && m[1] !== '0')) return bad('a duration such as 500ms, 30s, 15m, 1h, 1d or 0');
      const ms = Number(m[1]) * DURATION_UNIT_MS[m[2] ?? 'ms'];
      return ms <= MAX_DURATION_MS ? ms : bad('a duration of at most 365d');
    }
    case 'level':
      return /^-?[0-4]$/.test(v) && Number(v) >= -1 ? Number(v) : bad('a log level -1..4');
    case 'format':
      return v === 'text' || v === 'json' ? v : bad('text or json');
    case 'address':
      try {
        return parseHostPort(v);
      } catch {
        return bad('HOST[:PORT]');
      }
    case 'count':
      return /^\d{1,7}$/.test(v) && Number(v) >= 1 ? Number(v) : bad('a count 1..9999999');
    case 'handle': {
      const n = /^0x[0-9a-f]{8}$/i.test(v) ? Number(v) : NaN;
      return n >= 0x81000000 && n <= 0x81ffffff ? n : bad('a persistent handle 0x81000000-0x81ffffff');
    }
    default:
      return v;
  }
}

/** Reads agent.conf and its conf.d; a missing agent.conf is an error, a missing conf.d is not. */
export async function loadConfig(file = DEFAULT_CONFIG, confDir = join(dirname(file), 'conf.d')): Promise<AgentConfig> {
  const settings: Settings = new Map();
  const files = [file, ...(await fragments(confDir))];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      throw new ConfigError(f, `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    parseIni(text, f, settings);
  }
  return buildConfig(settings, files);
}

async function fragments(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir))
      .filter((n) => n.endsWith('.conf'))
      .sort()
      .map((n) => join(dir, n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(dir, `cannot list: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** Turns parsed settings (or none: all defaults) into the typed configuration. */
export function buildConfig(settings: Settings = new Map(), files: readonly string[] = []): AgentConfig {
  const get = <T>(name: string): T => {
    const [section, key] = name.split('.');
    const spec = optionSpec(section, key)!;
    const s = settings.get(name) ?? { value: spec.default, where: `default of ${name}` };
    return parseValue(spec.kind, s.value, s.where, `[${section}] ${key}`) as T;
  };
  const retryMinMs = get<number>('schedule.retry-min');
  const retryMaxMs = get<number>('schedule.retry-max');
  const at = (name: string) => settings.get(name)?.where ?? 'default';
  if (retryMinMs <= 0) throw new ConfigError(at('schedule.retry-min'), '[schedule] retry-min must be more than 0');
  if (retryMaxMs < retryMinMs) {
    throw new ConfigError(
      at('schedule.retry-max'),
      `[schedule] retry-min (${formatDuration(retryMinMs)}, ${at('schedule.retry-min')}) is longer than [schedule] retry-max (${formatDuration(retryMaxMs)}, ${at('schedule.retry-max')})`,
    );
  }
  for (const name of ['control.socket', 'bridge.socket']) {
    const path = get<string | undefined>(name);
    const [section, key] = name.split('.');
    if (path && Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new ConfigError(
        at(name),
        `[${section}] ${key}: the path is ${Buffer.byteLength(path)} bytes, a Unix socket path can have at most ${MAX_SOCKET_PATH}`,
      );
    }
  }
  return {
    server: {
      address: get('server.address'),
      ca: get('server.ca'),
      cert: get('server.cert'),
      key: get('server.key'),
      servername: get('server.servername'),
      language: get('server.language') ?? 'en',
      limits: {
        timeoutMs: get('server.handshake-timeout'),
        maxRounds: get('server.max-rounds'),
        maxServerRetries: get('server.max-server-retries'),
      },
    },
    schedule: {
      onStart: get('schedule.on-start'),
      intervalMs: get('schedule.interval'),
      retryMinMs,
      retryMaxMs,
      onPackageChange: get('schedule.on-package-change'),
      settleMs: get('schedule.settle'),
    },
    log: { level: get('log.level'), format: get('log.format') },
    control: { socket: get('control.socket') },
    stateDir: get('state.dir'),
    os: {
      deviceId: get('os.device-id'),
      defaultPassword: get('os.default-password'),
      osRelease: get('os.os-release'),
      dpkgStatus: get('os.dpkg-status'),
      machineId: get('os.machine-id'),
      procRoot: get('os.proc-root'),
    },
    attestation: {
      enabled: get('attestation.enabled'),
      tcti: get('attestation.tcti'),
      akHandle: get('attestation.ak-handle'),
      imaList: get('attestation.ima-list'),
      imaPollMs: get('attestation.ima-poll'),
      eventLog: get('attestation.event-log'),
    },
    swima: { enabled: get('swima.enabled'), store: get('swima.store'), dpkgRoot: get('swima.dpkg-root') },
    bridge: { socket: get('bridge.socket') },
    files,
  };
}

/** Where the SWIMA event store lives: `[swima] store`, else swima.db in the state directory. */
export function swimaStorePath(c: AgentConfig): string {
  return c.swima.store ?? join(c.stateDir ?? dirname(DEFAULT_STORE_PATH), 'swima.db');
}
