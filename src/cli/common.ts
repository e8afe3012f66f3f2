import { Logger, LogFormat } from '../log';

/** Exit codes every command shares (documented in `tnc-agent --help`). */
export const EXIT = { OK: 0, ERROR: 1, BAD_INPUT: 2 } as const;

/** Exit codes of `tnc-agent attest` (and the demo): documented in its --help. */
export const ATTEST_EXIT = { ALLOW: 0, ERROR: 1, USAGE: 2, ISOLATE: 3, NO_ACCESS: 4 } as const;

export function makeLogger(opts: { logLevel?: string; json?: boolean }): Logger {
  const level = Number(opts.logLevel ?? 1);
  if (!Number.isInteger(level) || level < -1 || level > 4)
    throw new Error(`--log-level takes -1..4, not '${opts.logLevel}'`);
  const format: LogFormat = opts.json ? 'json' : 'text';
  return new Logger(level, format);
}
