import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import { VERDICT_FILTERS, type HandshakeFilter, type PolicyViews, type VerdictFilter } from '../policy/views';
import { chartJs, CLIENT, STYLE } from './assets';
import { devicePage, devicesPage, imaPage } from './device';
import { page } from './layout';
import { policyPage } from './policy';
import { sessionsLive, sessionsPage } from './sessions';

export interface DashboardAppOptions {
  /** Required on every request (cookie from /login, or `Authorization: Bearer`); without one only loopback Host names are served. */
  readonly token?: string;
  /** How often the live stream looks for new handshakes. */
  readonly pollMs?: number;
  /** Set when the server closes: live streams end. */
  readonly closing?: { closed: boolean };
}

const COOKIE = 'tnc_dashboard';
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const sameToken = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

/** localhost, 127.0.0.0/8 and ::1, as a Host header names them (with or without port). */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

class BadRequest extends Error {}

function intParam(c: Context, name: string): number | undefined {
  const s = c.req.query(name) ?? c.req.param(name);
  if (s === undefined || s === '') return undefined;
  if (!/^\d{1,9}$/.test(s)) throw new BadRequest(`${name} must be a number`);
  return Number(s);
}

function filterOf(c: Context): HandshakeFilter {
  const verdict = c.req.query('verdict') || undefined;
  if (verdict !== undefined && !VERDICT_FILTERS.includes(verdict as VerdictFilter))
    throw new BadRequest(`verdict must be one of ${VERDICT_FILTERS.join(', ')}`);
  return { deviceId: intParam(c, 'device'), verdict: verdict as VerdictFilter | undefined };
}

const loginPage = (failed: boolean) =>
  page(
    'Sign in',
    '',
    html`<h1>Sign in</h1>
      ${failed ? html`<p>That token is not right.</p>` : ''}
      <form method="post" action="/login" class="filters">
        <label>Dashboard token<input type="password" name="token" autocomplete="current-password" autofocus /></label
        ><button type="submit">Sign in</button>
      </form>`,
  );

/** Token (when configured) or a loopback Host header (against DNS rebinding) before anything else. */
function access(o: DashboardAppOptions): MiddlewareHandler {
  return async (c, next) => {
    if (o.token === undefined) {
      if (!isLoopbackHost(c.req.header('host') ?? ''))
        return c.text('this dashboard answers only to a loopback host name', 403);
      return next();
    }
    if (c.req.path === '/login' || c.req.path === '/assets/style.css') return next();
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const given = bearer ?? getCookie(c, COOKIE);
    if (given !== undefined && sameToken(given, o.token)) return next();
    return c.html(loginPage(false), 401);
  };
}

/** The dashboard's routes over the policy views; pages are HTML rendered here with every value escaped. */
export function dashboardApp(v: PolicyViews, o: DashboardAppOptions = {}): Hono {
  const app = new Hono();
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  app.use('*', access(o));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    if (o.token === undefined) return c.redirect('/sessions', 303);
    if (typeof form.token !== 'string' || !sameToken(form.token, o.token)) return c.html(loginPage(true), 401);
    setCookie(c, COOKIE, form.token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return c.redirect('/sessions', 303);
  });
  app.get('/login', (c) => c.html(loginPage(false)));
  app.get('/', (c) => c.redirect('/sessions'));
  app.get('/sessions', (c) => {
    const f = filterOf(c);
    const q = new URLSearchParams({
      ...(f.deviceId !== undefined ? { device: String(f.deviceId) } : {}),
      ...(f.verdict ? { verdict: f.verdict } : {}),
    });
    return c.html(sessionsPage(v, f, `/sessions/live?${q}`));
  });
  app.get('/sessions/live', (c) => c.html(sessionsLive(v, filterOf(c))));
  app.get('/devices', (c) => c.html(devicesPage(v)));
  app.get('/devices/:id', (c) => {
    const d = v.device(intParam(c, 'id')!);
    return d ? c.html(devicePage(v, d, intParam(c, 'since') ?? 0)) : c.notFound();
  });
  app.get('/devices/:id/ima', (c) => {
    const d = v.device(intParam(c, 'id')!);
    const verdict = c.req.query('verdict') || undefined;
    if (verdict !== undefined && !['differ', 'unknown', 'failed'].includes(verdict))
      throw new BadRequest('verdict must be differ, unknown or failed');
    return d ? c.html(imaPage(v, d, verdict)) : c.notFound();
  });
  app.get('/policy', (c) => c.html(policyPage(v)));
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      let last = v.changeToken();
      await stream.writeSSE({ event: 'hello', data: last });
      const ended = () => stream.aborted || stream.closed || o.closing?.closed === true;
      for (let tick = 1; !ended(); tick++) {
        await stream.sleep(o.pollMs ?? 1000);
        if (ended()) break;
        const now = v.changeToken();
        if (now !== last) await stream.writeSSE({ event: 'change', data: (last = now) });
        else if (tick % 15 === 0) await stream.write(': keep-alive\n\n');
      }
    }),
  );
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/assets/style.css', (c) => c.body(STYLE, 200, { 'content-type': 'text/css; charset=utf-8' }));
  app.get('/assets/dashboard.js', (c) => c.body(CLIENT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  const chart = chartJs();
  app.get('/assets/chart.js', (c) =>
    c.body(new Uint8Array(chart), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'max-age=86400',
    }),
  );
  app.notFound((c) =>
    c.html(
      page(
        'Not found',
        '',
        html`<h1>Not found</h1>
          <p>Nothing here: <a href="/sessions">sessions</a>.</p>`,
      ),
      404,
    ),
  );
  app.onError((e, c) => {
    if (e instanceof BadRequest)
      return c.html(
        page(
          'Bad request',
          '',
          html`<h1>Bad request</h1>
            <p>${e.message}</p>`,
        ),
        400,
      );
    return c.html(
      page(
        'Error',
        '',
        html`<h1>Something went wrong</h1>
          <p>${e.message}</p>`,
      ),
      500,
    );
  });
  return app;
}
