/**
 * A throwaway PostgreSQL cluster for tests: initdb in a temporary directory as an unprivileged
 * user (`nobody` when the tests run as root: PostgreSQL refuses to run as root), started with
 * pg_ctl on a Unix socket in that directory only (no TCP port to collide on), password
 * authentication (scram-sha-256) for its one superuser, and stopped and removed at the end (also
 * when the test process exits early). Debian's `postgresql` package provides the binaries
 * (scripts/setup.sh installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { skipUnlessRequired } from './require';

const PG_LIB = '/usr/lib/postgresql';

/** The newest installed server's bin directory, or undefined. */
function pgBin(): string | undefined {
  if (!existsSync(PG_LIB)) return undefined;
  const versions = readdirSync(PG_LIB)
    .filter((v) => existsSync(join(PG_LIB, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(PG_LIB, versions[0], 'bin') : undefined;
}

const BIN = pgBin();

/** Why the PostgreSQL tests cannot run here (undefined: they can); with TNC_REQUIRE=postgres a reason throws. */
export const postgresSkip: string | undefined = skipUnlessRequired(
  'postgres',
  BIN ? undefined : `no PostgreSQL server binaries under ${PG_LIB} (apt-get install postgresql; scripts/setup.sh does)`,
);

export interface PgCluster {
  /** The superuser's password, and a file holding it (what --db-password-file takes). */
  readonly password: string;
  readonly passwordFile: string;
  /** A new empty database; returns its URL (no password in it). */
  createDatabase(name?: string): Promise<string>;
  stop(): void;
}

const USER = 'tnc';
let databases = 0;

/** Starts a cluster; call `stop` when done (the process's exit stops it too). */
export function startPostgres(): PgCluster {
  if (!BIN) throw new Error(postgresSkip);
  const dir = mkdtempSync(join(tmpdir(), 'tnc-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const asRoot = userInfo().uid === 0;
  const run = (cmd: string, args: string[]): void => {
    const argv = asRoot ? ['runuser', ['-u', 'nobody', '--', join(BIN, cmd), ...args]] : [join(BIN, cmd), args];
    execFileSync(argv[0] as string, argv[1] as string[], { stdio: 'pipe', cwd: dir });
  };
  if (asRoot) {
    const nobody = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
    chownSync(dir, nobody, -1);
    chownSync(passwordFile, nobody, -1);
  }
  chmodSync(dir, 0o755); // the socket lives here: clients of every user reach it
  run('initdb', [
    '-D',
    data,
    '-U',
    USER,
    '--auth=scram-sha-256',
    `--pwfile=${passwordFile}`,
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const options = `-k ${dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=200`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    const argv = asRoot
      ? ['runuser', ['-u', 'nobody', '--', join(BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']]
      : [join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']];
    spawnSync(argv[0] as string, argv[1] as string[], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  const url = (db: string): string => `postgres://${USER}@localhost/${db}?host=${encodeURIComponent(dir)}`;
  return {
    password,
    passwordFile,
    async createDatabase(name = `t${process.pid}_${++databases}`) {
      const c = new pg.Client({ host: dir, user: USER, database: 'postgres', password });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    stop,
  };
}
