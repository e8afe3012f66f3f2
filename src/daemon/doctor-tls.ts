import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { AgentConfig } from './config';
import type { Check } from './doctor';

/** doctor: the server side: address, CA and client credentials, then a TLS connect as the agent makes it. */
export async function serverChecks(c: AgentConfig): Promise<Check[]> {
  const s = c.server;
  const out: Check[] = [];
  const address = s.address;
  out.push(
    address
      ? pass('server address', `${address.host}:${address.port}`)
      : fail('server address', 'not configured', `set [server] address = HOST[:PORT] in ${c.files[0] ?? 'agent.conf'}`),
  );
  const ca = await pemCheck(
    'server CA',
    s.ca,
    "set [server] ca to the CA certificate (PEM) that signs the TNC server's certificate",
  );
  out.push(ca.check);
  const client = await clientCredentials(s.cert, s.key);
  out.push(client.check);
  if (address && ca.pem) out.push(await tlsCheck(address, s.servername, ca.pem, client.cert, client.key));
  return out;
}

function pass(name: string, detail: string): Check {
  return { name, ok: true, required: true, detail };
}

function fail(name: string, detail: string, hint: string, required = true): Check {
  return { name, ok: false, required, detail, hint };
}

async function read(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

function errText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

async function pemCheck(name: string, path: string | undefined, hint: string): Promise<{ check: Check; pem?: string }> {
  if (!path) return { check: fail(name, 'not configured', hint) };
  try {
    const pem = await read(path);
    const cert = new X509Certificate(pem);
    return { check: pass(name, `${path}: ${cert.subject.replace(/\n/g, ', ')}, valid until ${cert.validTo}`), pem };
  } catch (e) {
    return { check: fail(name, `${path}: ${errText(e)}`, hint) };
  }
}

async function clientCredentials(
  certPath?: string,
  keyPath?: string,
): Promise<{ check: Check; cert?: string; key?: string }> {
  const name = 'client certificate';
  const hint = 'set [server] cert and key to the certificate and key the TNC server trusts for this host';
  if (!certPath || !keyPath)
    return {
      check: fail(name, 'not configured: servers that require one (the default) will refuse the agent', hint, false),
    };
  try {
    const [cert, key] = [await read(certPath), await read(keyPath)];
    const x = new X509Certificate(cert);
    if (!x.checkPrivateKey(createPrivateKey(key)))
      return { check: fail(name, `${keyPath} is not the key of ${certPath}`, hint) };
    if (new Date(x.validTo) < new Date())
      return { check: fail(name, `${certPath} expired on ${x.validTo}`, 'renew the client certificate') };
    return { check: pass(name, `${certPath}: ${x.subject.replace(/\n/g, ', ')}, valid until ${x.validTo}`), cert, key };
  } catch (e) {
    return { check: fail(name, `${certPath} / ${keyPath}: ${errText(e)}`, hint) };
  }
}

/** RFC 6876 3.2: PT-TLS starts with the TLS handshake, so a plain TLS connect shows reachability and trust. */
function tlsCheck(
  a: { host: string; port: number },
  servername: string | undefined,
  ca: string,
  cert?: string,
  key?: string,
  timeoutMs = 5000,
): Promise<Check> {
  const name = 'server reachable';
  return new Promise((resolve) => {
    const s = connect({
      host: a.host,
      port: a.port,
      ca,
      cert,
      key,
      servername: servername ?? (isIP(a.host) ? undefined : a.host),
      rejectUnauthorized: false,
    });
    const done = (c: Check) => {
      s.destroy();
      resolve(c);
    };
    s.setTimeout(timeoutMs, () =>
      done(
        fail(
          name,
          `no TLS answer from ${a.host}:${a.port} within ${timeoutMs / 1000}s`,
          'check the address, the port (271 is PT-TLS) and firewalls',
        ),
      ),
    );
    s.on('error', (e) =>
      done(
        fail(
          name,
          `${a.host}:${a.port}: ${errText(e)}`,
          'is the TNC server running and listening there? (PT-TLS, port 271 by default)',
        ),
      ),
    );
    s.on('secureConnect', () => {
      const peer = s.getPeerCertificate();
      const who = `${peer.subject?.CN ?? '?'}, valid until ${peer.valid_to}`;
      if (s.authorized) done(pass(name, `${a.host}:${a.port}, certificate ${who} verified with the configured CA`));
      else
        done(
          fail(
            name,
            `${a.host}:${a.port} certificate ${who} is NOT trusted: ${String(s.authorizationError)}`,
            'check [server] ca and servername (the name must be in the server certificate)',
          ),
        );
    });
  });
}
