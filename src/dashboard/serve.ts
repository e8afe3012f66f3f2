import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Logger } from '../log';
import type { PolicyViews } from '../policy/views';
import { dashboardApp, isLoopbackHost } from './app';

export interface DashboardOptions {
  readonly host: string;
  readonly port: number;
  readonly views: PolicyViews;
  /** Required for an address other than loopback: the dashboard shows device data. */
  readonly token?: string;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly log: Logger;
  readonly pollMs?: number;
}

export interface Dashboard {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the dashboard; refuses an address other than loopback without a token. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const loopback = isLoopbackHost(o.host.includes(':') && !o.host.startsWith('[') ? `[${o.host}]` : o.host);
  if (!loopback && o.token === undefined) {
    throw new Error(
      `the dashboard shows device data: to serve it on ${o.host}, not a loopback address, give it a token (--http-token-file FILE)`,
    );
  }
  if (!loopback && !o.tls)
    o.log.info(
      'CFG',
      'dashboard: the token travels in clear over plain HTTP; give --http-cert and --http-key for HTTPS',
    );
  const closing = { closed: false };
  const app = dashboardApp(o.views, { token: o.token, pollMs: o.pollMs, closing });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: o.host,
        port: o.port,
        ...(o.tls ? { createServer: createHttpsServer, serverOptions: { cert: o.tls.cert, key: o.tls.key } } : {}),
      },
      () => resolve(s as Server),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `${o.tls ? 'https' : 'http'}://${shown}:${port}/`;
  o.log.log(0, 'CFG', `dashboard on ${url}${o.token === undefined ? '' : ' (token required)'}`);
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        closing.closed = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
