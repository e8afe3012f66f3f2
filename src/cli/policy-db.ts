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
