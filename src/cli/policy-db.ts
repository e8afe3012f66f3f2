import type { Command } from 'commander';
import { PolicyStore } from '../policy/store';

/** The flags every command that opens the policy database takes. */
export interface PolicyDbFlags {
  db: string;
  dbPasswordFile?: string;
}

export const DB_HELP =
  'policy database: an SQLite file (created if missing), or postgres://USER@HOST:PORT/DB (password from --db-password-file or PGPASSWORD, never in the URL)';

/** `--db-password-file`: PostgreSQL's password is read from a file (or PGPASSWORD), never given on the command line. */
export const DB_PASSWORD_HELP =
  "PostgreSQL password: the file's first line (default: PGPASSWORD, else ~/.pgpass or no password)";

/** `--db` (required) and `--db-password-file` on a `db` subcommand. */
export function policyDbOptions(cmd: Command): Command {
  return cmd.requiredOption('--db <file|url>', DB_HELP).option('--db-password-file <file>', DB_PASSWORD_HELP);
}

/** Opens and migrates the policy database the flags name. */
export function openPolicyStore(o: PolicyDbFlags): Promise<PolicyStore> {
  return PolicyStore.open(o.db, { passwordFile: o.dbPasswordFile });
}

/** Runs `fn` on the opened store and closes it, also when `fn` fails. */
export async function withPolicyStore<T>(o: PolicyDbFlags, fn: (store: PolicyStore) => Promise<T>): Promise<T> {
  const store = await openPolicyStore(o);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** What a server's `--config` file gives: its [policy] section (one file the servers of a fleet can share). */
export interface PolicyConfig {
  readonly db?: string;
  readonly dbPasswordFile?: string;
}

const POLICY_KEYS: Record<string, keyof PolicyConfig> = { db: 'db', 'db-password-file': 'dbPasswordFile' };

/** Parses `[policy] db = FILE|URL` and `db-password-file = FILE`; anything else is an error naming file:line. */
export function parsePolicyConfig(text: string, file: string): PolicyConfig {
  const config: Record<string, string> = {};
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const fail = (why: string): never => {
      throw new Error(`${file}:${i + 1}: ${why}`);
    };
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const head = /^\[([a-z-]+)\]$/.exec(line);
    if (head) {
      section = head[1] === 'policy' ? head[1] : fail(`unknown section [${head[1]}] (the server reads [policy])`);
      return;
    }
    const kv = /^([a-z-]+)\s*=\s*(.*)$/.exec(line) ?? fail(`expected "key = value", "[policy]" or a # comment`);
    if (!section) fail(`'${kv[1]}' is outside the [policy] section`);
    const key = POLICY_KEYS[kv[1]] ?? fail(`unknown option '${kv[1]}' in [policy] (db, db-password-file)`);
    config[key] = kv[2];
  });
  return config;
}
