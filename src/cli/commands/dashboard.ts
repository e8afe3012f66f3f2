import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../log';
import type { Dashboard } from '../../dashboard/serve';
import { PolicyViews } from '../../policy/views';
import { isPostgresUrl } from '../../db/engine';
import { makeLogger } from '../common';
import { parseHostPort } from '../../agent/host-port';

export const DASHBOARD_PORT = 8271;

export interface HttpFlags {
  http?: string;
  httpTokenFile?: string;
  httpCert?: string;
  httpKey?: string;
}

/** The dashboard's options, shared by `--server-mode --http` and `tnc-agent dashboard`. */
export function httpOptions(cmd: Command, prefix = ''): Command {
  return cmd
    .option(
      '--http-token-file <file>',
      `${prefix}the dashboard requires the token in this file (first line, 16+ characters); needed off loopback`,
    )
    .option('--http-cert <file>', `${prefix}the dashboard serves HTTPS with this PEM certificate`)
    .option('--http-key <file>', `${prefix}PEM private key of --http-cert`);
}

async function token(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const t = (await readFile(file, 'utf8')).split('\n')[0].trim();
  if (t.length < 16) throw new Error(`${file}: the dashboard token must be at least 16 characters`);
  return t;
}

/** Opens the database read-only and serves the dashboard on `flags.http`; close() ends both. */
export async function openDashboard(flags: HttpFlags & { http: string }, db: string, log: Logger): Promise<Dashboard> {
  const { host, port } = parseHostPort(flags.http, DASHBOARD_PORT);
  if (!flags.httpCert !== !flags.httpKey) throw new Error('--http-cert and --http-key go together');
  const tls = flags.httpCert
    ? { cert: await readFile(flags.httpCert, 'utf8'), key: await readFile(flags.httpKey!, 'utf8') }
    : undefined;
  if (isPostgresUrl(db))
    throw new Error(
      'the dashboard reads an SQLite policy database; it does not read PostgreSQL yet (run it on one server of the fleet without --http, or on an SQLite copy)',
    );
  const views = PolicyViews.openReadOnly(db);
  try {
    // loaded here: every other command starts without the HTTP stack
    const { startDashboard } = await import('../../dashboard/serve');
    const d = await startDashboard({ host, port, views, token: await token(flags.httpTokenFile), tls, log });
    return {
      ...d,
      close: async () => {
        await d.close();
        views.close();
      },
    };
  } catch (e) {
    views.close();
    throw e;
  }
}

/** `tnc-agent dashboard`: the lab dashboard on a policy database (a copy, or one a server is writing), read-only. */
export function register(program: Command): void {
  const cmd = program
    .command('dashboard')
    .description(
      'serve the lab dashboard (sessions, devices, SWIMA events, IMA results, enforcements) on a policy database, read-only',
    )
    .requiredOption('--db <path>', 'policy database (opened read-only; a server may still be writing it)')
    .option('--http <host:port>', 'address to serve on', `127.0.0.1:${DASHBOARD_PORT}`)
    .option('--log-level <n>', '0 outcomes only, 1 events', '1')
    .option('--json', 'log JSON lines')
    .addHelpText(
      'after',
      `\nExample:\n  cp lab/policy.db /tmp/policy-copy.db && tnc-agent dashboard --db /tmp/policy-copy.db   # then open http://127.0.0.1:${DASHBOARD_PORT}/\nOn an address other than loopback it needs --http-token-file (and, better, --http-cert/--http-key).`,
    );
  httpOptions(cmd).action(async (o: HttpFlags & { http: string; db: string; logLevel: string; json?: boolean }) => {
    const log = makeLogger(o);
    const d = await openDashboard(o, o.db, log);
    const stop = () => d.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
