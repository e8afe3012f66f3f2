import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command module exports `register(program)`, loaded only when its command runs: `attest`
 * never loads the server, the policy store or the dashboard, and `--version` loads no command at
 * all (start-up time is the agent's fixed cost per handshake). `server` is the root command's
 * `--server-mode`. Add one line per module.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- require, not import(): loaded on demand, synchronously (tsx runs the sources as CommonJS) */
export const commands: Record<string, () => Register> = {
  server: () => (require('./server') as typeof import('./server')).register,
  attest: () => (require('./attest') as typeof import('./attest')).register,
  demo: () => (require('./demo') as typeof import('./demo')).register,
  decode: () => (require('./decode') as typeof import('./decode')).register,
  pki: () => (require('./pki') as typeof import('./pki')).register,
  ima: () => (require('./ima') as typeof import('./ima')).register,
  eventlog: () => (require('./eventlog') as typeof import('./eventlog')).register,
  tpm: () => (require('./tpm') as typeof import('./tpm')).register,
  daemon: () => (require('./daemon') as typeof import('./daemon')).register,
  doctor: () => (require('./doctor') as typeof import('./doctor')).register,
  swima: () => (require('./swima') as typeof import('./swima')).register,
  db: () => (require('./db') as typeof import('./db')).register,
  dashboard: () => (require('./dashboard') as typeof import('./dashboard')).register,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The command modules `args` (the arguments after the program name) need: the named command's
 * when it comes first, none for the version, the server's for `--server-mode`, else every one
 * (the overview of `--help`, and commander's suggestions for a mistyped command).
 */
export function commandsFor(args: readonly string[]): string[] {
  const first = args[0];
  if (first !== undefined && Object.hasOwn(commands, first) && first !== 'server') return [first];
  if (args.length === 1 && (first === '-V' || first === '--version')) return [];
  if (args.includes('--server-mode') && !args.some((a) => a === '-h' || a === '--help')) return ['server'];
  return Object.keys(commands);
}
