import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';

const run = promisify(execFile);

export interface LabPkiOptions {
  out: string;
  serverCn?: string;
  clientCn?: string;
  days?: number;
}

/** File paths and PEM contents of a lab CA plus one server and one client certificate. */
export interface LabPki {
  dir: string;
  files: {
    caCert: string;
    caKey: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
  };
  pem: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  serverCn: string;
  clientCn: string;
}

// CNs go into an openssl -subj string: allow no '/', '=' or quoting characters
const SAFE_CN = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc'];

/**
 * Makes a throwaway lab PKI with the openssl tool: an EC P-256 CA, a server certificate (SAN: its CN,
 * localhost, 127.0.0.1, ::1; serverAuth) and a client certificate (clientAuth; its CN is the access
 * requestor identity a PT-TLS server reports, repeated as an email or DNS subjectAltName). Keys are written unencrypted with mode 0600.
 */
export async function makeLabPki(opts: LabPkiOptions): Promise<LabPki> {
  const serverCn = opts.serverCn ?? 'tnc-server';
  const clientCn = opts.clientCn ?? 'tnc-client';
  const days = String(opts.days ?? 365);
  for (const cn of [serverCn, clientCn]) if (!SAFE_CN.test(cn)) throw new Error(`unsupported certificate CN '${cn}'`);
  if (!/^[1-9][0-9]{0,4}$/.test(days)) throw new Error(`bad --days '${days}'`);
  await mkdir(opts.out, { recursive: true });
  const f = (n: string) => join(opts.out, n);
  const files = {
    caCert: f('ca.pem'),
    caKey: f('ca.key'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
  await openssl([
    ...EC_KEY,
    '-x509',
    '-keyout',
    files.caKey,
    '-out',
    files.caCert,
    '-days',
    days,
    '-subj',
    '/CN=tnc-agent lab CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const leaf = (cert: string, key: string, cn: string, ext: string[]) =>
    openssl([
      ...EC_KEY,
      '-x509',
      '-CA',
      files.caCert,
      '-CAkey',
      files.caKey,
      '-set_serial',
      '0x' + randomBytes(12).toString('hex'),
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      days,
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      ...ext.flatMap((e) => ['-addext', e]),
    ]);
  await leaf(files.serverCert, files.serverKey, serverCn, [
    `subjectAltName=DNS:${serverCn.replace(/ /g, '-')},DNS:localhost,IP:127.0.0.1,IP:::1`,
    'extendedKeyUsage=serverAuth',
  ]);
  await leaf(files.clientCert, files.clientKey, clientCn, [...identitySan(clientCn), 'extendedKeyUsage=clientAuth']);
  for (const k of [files.caKey, files.serverKey, files.clientKey]) await chmod(k, 0o600);
  const [ca, serverCert, serverKey, clientCert, clientKey] = await Promise.all(
    [files.caCert, files.serverCert, files.serverKey, files.clientCert, files.clientKey].map((p) =>
      readFile(p, 'utf8'),
    ),
  );
  return { dir: opts.out, files, pem: { ca, serverCert, serverKey, clientCert, clientKey }, serverCn, clientCn };
}

const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The client identity as a subjectAltName too (RFC 5280 4.2.1.6): strongSwan's pt-tls-client picks
 * its certificate by the identity in a SAN (email for user@host, else DNS), not by the CN alone.
 * A name that is neither (e.g. with spaces) gets none.
 */
export function identitySan(cn: string): string[] {
  if (cn.includes('@')) return [`subjectAltName=email:${cn}`];
  return DNS_NAME.test(cn) ? [`subjectAltName=DNS:${cn}`] : [];
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', ['req', ...args]);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl req failed: ${(err.stderr ?? err.message).trim()}`, { cause: e });
  }
}

export function register(program: Command): void {
  program
    .command('pki')
    .description('make a throwaway lab PKI (CA, server and client certificates and keys, PEM) with openssl')
    .requiredOption('--out <dir>', 'directory to write into')
    .option('--cn-server <name>', 'server certificate CN (also a DNS SAN)', 'tnc-server')
    .option(
      '--cn-client <name>',
      'client certificate CN and subjectAltName (email if it has an @, else DNS): the access requestor identity, e.g. client@tnc.test',
      'tnc-client',
    )
    .option('--days <n>', 'validity in days', '365')
    .action(async (o: { out: string; cnServer: string; cnClient: string; days: string }) => {
      const pki = await makeLabPki({ out: o.out, serverCn: o.cnServer, clientCn: o.cnClient, days: Number(o.days) });
      for (const [what, path] of Object.entries(pki.files)) console.log(`${what.padEnd(10)} ${path}`);
    });
}
