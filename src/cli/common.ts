import { PT_TLS_PORT } from '../protocol/pt-tls/types';
import { Logger, LogFormat } from '../log';

/** Exit codes of `tnc-agent attest` (and the demo): documented in its --help. */
export const ATTEST_EXIT = { ALLOW: 0, ERROR: 1, USAGE: 2, ISOLATE: 3, NO_ACCESS: 4 } as const;

export function parseHostPort(s: string, defaultPort = PT_TLS_PORT): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(s);
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (!m || port > 65535) throw new Error(`'${s}' is not HOST[:PORT]`);
  return { host: m[1] ?? m[2], port };
}

export function makeLogger(opts: { logLevel?: string; json?: boolean }): Logger {
  const level = Number(opts.logLevel ?? 1);
  if (!Number.isInteger(level) || level < -1 || level > 4)
    throw new Error(`--log-level takes -1..4, not '${opts.logLevel}'`);
  const format: LogFormat = opts.json ? 'json' : 'text';
  return new Logger(level, format);
}
