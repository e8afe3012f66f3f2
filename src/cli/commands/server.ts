import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { makeLogger } from '../common';
import { parseHostPort } from '../../agent/host-port';
import { startLabServer } from '../../server-emu/lab-server';
import { httpOptions, openDashboard, type HttpFlags, DASHBOARD_PORT } from './dashboard';
import type { RecommendationPolicy } from '../../policy/merge';
import type { AttestationImvOptions } from '../../imvs/attestation';
import { imaKeyring, parseImaKeys } from '../../measurements/ima/signature';
import { DB_PASSWORD_HELP, parsePolicyConfig } from '../policy-db';

const POLICIES: RecommendationPolicy[] = ['default', 'any', 'all'];

interface ServerFlags extends HttpFlags {
  serverMode?: boolean;
  listen: string;
  db: string;
  dbPasswordFile?: string;
  config?: string;
  cert?: string;
  key?: string;
  ca?: string;
  policy: string;
  saslUsers?: string;
  pdpReferral?: string;
  idleTimeout: string;
  remediationUri?: string;
  swima: boolean;
  attestation: boolean;
  aikCa?: string;
  unboundUnknown: string;
  imaKeys?: string;
  imaSignatures: string;
  platformPcrs: string;
  logLevel: string;
  json?: boolean;
  radius?: string;
  radiusSecretFile?: string;
  radiusIsolate: string;
}

/** `user:password` per line; blank lines and # comments are skipped. */
async function readSaslUsers(file: string): Promise<Record<string, string>> {
  const users: Record<string, string> = {};
  for (const [i, raw] of (await readFile(file, 'utf8')).split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at <= 0) throw new Error(`${file}:${i + 1}: expected user:password`);
    users[line.slice(0, at)] = line.slice(at + 1);
  }
  return users;
}

/** Every certificate in a PEM file. */
async function readCertificates(file: string): Promise<X509Certificate[]> {
  const pem = await readFile(file, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${file}: no PEM certificate`);
  return blocks.map((b) => new X509Certificate(b));
}

async function attestationOptions(o: ServerFlags): Promise<AttestationImvOptions> {
  if (o.unboundUnknown !== 'fail' && o.unboundUnknown !== 'accept')
    throw new Error(`--unbound-unknown takes fail or accept, not '${o.unboundUnknown}'`);
  if (o.imaSignatures !== 'bad' && o.imaSignatures !== 'not-ok')
    throw new Error(`--ima-signatures takes bad or not-ok, not '${o.imaSignatures}'`);
  return {
    imaKeys: o.imaKeys ? await readImaKeys(o.imaKeys) : undefined,
    imaSignaturePolicy: o.imaSignatures,
    caCertificates: o.aikCa ? await readCertificates(o.aikCa) : undefined,
    unboundUnknown: o.unboundUnknown === 'fail' ? 'fail' : 'unknown',
    platformPcrs: pcrList(o.platformPcrs),
  };
}

async function readImaKeys(file: string): Promise<ReturnType<typeof imaKeyring>> {
  return imaKeyring(parseImaKeys(await readFile(file), `--ima-keys ${file}`));
}

/** `0-7`, `0-7,8`: PCR indexes 0-23. */
function pcrList(s: string): number[] {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(part.trim());
    const [lo, hi] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [NaN, NaN];
    if (!(lo <= hi && hi <= 23)) throw new Error(`--platform-pcrs: '${part}' is not a PCR or range within 0-23`);
    for (let p = lo; p <= hi; p++) out.add(p);
  }
  return [...out];
}

/** `--radius` with its secret from `--radius-secret-file` (first line, surrounding whitespace trimmed). */
async function radiusOptions(
  o: ServerFlags,
): Promise<{ host: string; port: number; secret: Buffer; isolate: 'reject' | 'accept' }> {
  if (!o.radiusSecretFile)
    throw new Error(
      '--radius needs --radius-secret-file: the shared secret is read from a file, never from the command line',
    );
  if (o.radiusIsolate !== 'reject' && o.radiusIsolate !== 'accept')
    throw new Error(`--radius-isolate takes reject or accept, not '${o.radiusIsolate}'`);
  const secret = (await readFile(o.radiusSecretFile, 'utf8')).split('\n')[0].trim();
  if (secret.length === 0) throw new Error(`${o.radiusSecretFile}: the RADIUS shared secret is empty`);
  const { host, port } = parseHostPort(o.radius!, 1812);
  return { host, port, secret: Buffer.from(secret, 'utf8'), isolate: o.radiusIsolate };
}

function referral(s: string): { fqdn: string; port: number } {
  const { host, port } = parseHostPort(s);
  return { fqdn: host, port };
}

/** `tnc-agent --server-mode`: the embedded reference TNC server (OS IMV; PT-TLS on port 271). */
export function register(program: Command): void {
  program
    .option('--server-mode', 'run the reference TNC server (PB-TNC over PT-TLS) instead of a command')
    .option('--listen <host:port>', 'server: address to listen on', '127.0.0.1:271')
    .option(
      '--db <file|url>',
      'server: policy database, migrated on start: an SQLite file (created if missing), or postgres://USER@HOST:PORT/DB shared by several servers',
      'tnc-policy.db',
    )
    .option('--db-password-file <file>', `server: ${DB_PASSWORD_HELP}`)
    .option(
      '--config <file>',
      'server: settings file whose [policy] section gives db = FILE|URL and db-password-file = FILE (one file the servers of a fleet share; --db and --db-password-file win)',
    )
    .option('--cert <file>', 'server: PEM certificate (tnc-agent pki makes a lab one)')
    .option('--key <file>', 'server: PEM private key')
    .option('--ca <file>', 'server: PEM CA that signs client certificates')
    .option('--policy <name>', `server: recommendation policy: ${POLICIES.join(', ')}`, 'default')
    .option('--no-swima', 'server: do not load the SWIMA IMV')
    .option('--no-attestation', 'server: do not load the Attestation IMV')
    .option(
      '--aik-ca <file>',
      'server: trust attestation keys whose certificate chains to this CA (PEM), besides devices marked trusted',
    )
    .option(
      '--unbound-unknown <fail|accept>',
      "server: an IMA file without reference hashes whose name no IMA template data binds (strongSwan's IMC sends none): fail the attestation, or accept it as unknown as strongSwan does",
      'fail',
    )
    .option(
      '--ima-keys <file>',
      "server: IMA signing keys besides the policy database's (db import-ima-keys): X.509 certificates or public keys, PEM (several) or DER; with any key, every ima-sig file signature is checked and reported ok / bad / missing / unknown key",
    )
    .option(
      '--ima-signatures <bad|not-ok>',
      'server: with IMA signing keys, which signatures fail the attestation: only bad ones, or every one that is not ok (missing, unknown key, unsupported)',
      'bad',
    )
    .option(
      '--platform-pcrs <list>',
      'server: PCRs firmware (BIOS) evidence may extend, e.g. 0-7 or 0-9 with a measuring boot loader',
      '0-9',
    )
    .option(
      '--sasl-users <file>',
      'server: also accept clients without a certificate by SASL PLAIN; file of user:password lines',
    )
    .option(
      '--pdp-referral <fqdn:port>',
      'server: send a TCG PB-PDP-Referral naming this PT-TLS PDP in the first SDATA',
    )
    .option(
      '--remediation-uri <uri>',
      'server: tell endpoints that are not allowed where to find remediation (PB-Remediation-Parameters)',
    )
    .option('--idle-timeout <seconds>', 'server: end a session whose client sends nothing for this long', '120')
    .option(
      '--radius <host:port>',
      "server: also be a RADIUS PDP (EAP-TTLS with PT-EAP inside) for a gateway's eap-radius, e.g. 127.0.0.1:1812",
    )
    .option(
      '--radius-secret-file <file>',
      'server: file holding the RADIUS shared secret (first line; never given on the command line)',
    )
    .option(
      '--radius-isolate <reject|accept>',
      "server: an isolate verdict over RADIUS: Access-Reject, or Access-Accept with Filter-Id and Class 'isolate' for the gateway to restrict",
      'reject',
    )
    .option('--log-level <n>', 'server: 0 outcomes only, 1 events, 2 messages, 3 wire detail', '1')
    .option('--json', 'server: log JSON lines')
    .option(
      '--http <host:port>',
      `server: also serve the lab dashboard here (loopback unless a token is given; port ${DASHBOARD_PORT} if omitted)`,
    );
  httpOptions(program, 'server: ')
    .addHelpText(
      'after',
      '\nServer mode example:\n  tnc-agent pki --out lab && tnc-agent --server-mode --listen 127.0.0.1:2710 --cert lab/server.pem --key lab/server.key --ca lab/ca.pem',
    )
    .action(async (o: ServerFlags) => {
      if (!o.serverMode) {
        program.help();
        return;
      }
      if (!POLICIES.includes(o.policy as RecommendationPolicy))
        throw new Error(`--policy must be one of ${POLICIES.join(', ')}`);
      if (!o.ca) throw new Error('--ca is required: the CA that signs client certificates');
      if (!o.cert || !o.key)
        throw new Error('--cert and --key are required (make a lab PKI with `tnc-agent pki --out DIR`)');
      if (o.config) await applyPolicyConfig(program, o, o.config);
      const log = makeLogger(o);
      const { host, port } = parseHostPort(o.listen);
      const idle = Number(o.idleTimeout);
      if (!(idle > 0)) throw new Error(`--idle-timeout takes seconds > 0, not '${o.idleTimeout}'`);
      const server = await startLabServer({
        host,
        port,
        db: o.db,
        dbPasswordFile: o.dbPasswordFile,
        cert: o.cert,
        key: o.key,
        ca: o.ca,
        policy: o.policy as RecommendationPolicy,
        log,
        idleTimeoutMs: idle * 1000,
        saslUsers: o.saslUsers ? await readSaslUsers(o.saslUsers) : undefined,
        pdpReferral: o.pdpReferral ? referral(o.pdpReferral) : undefined,
        remediationUri: o.remediationUri,
        verifiers: {
          swima: o.swima,
          attestation: o.attestation ? { ...(await attestationOptions(o)), aikCaFile: o.aikCa } : undefined,
        },
        radius: o.radius ? await radiusOptions(o) : undefined,
      });
      log.log(
        0,
        'TNC',
        `PT-TLS server listening on ${host}:${server.port}, policy database '${server.store.db.description}'`,
      );
      if (server.radius)
        log.log(
          0,
          'CFG',
          `RADIUS server listening on ${o.radius} (port ${server.radius.port}), isolate → ${o.radiusIsolate === 'accept' ? 'Access-Accept with Filter-Id/Class isolate' : 'Access-Reject'}`,
        );
      const dashboard = o.http
        ? await openDashboard({ ...o, http: o.http }, o.db, log).catch(async (e) => {
            await server.close();
            throw e;
          })
        : undefined;
      const stop = () => {
        log.info('TNC', 'stopping');
        Promise.all([server.close(), dashboard?.close()]).then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** The config file's [policy] settings, where the command line did not give them. */
async function applyPolicyConfig(program: Command, o: ServerFlags, file: string): Promise<void> {
  const config = parsePolicyConfig(await readFile(file, 'utf8'), file);
  if (config.db !== undefined && program.getOptionValueSource('db') !== 'cli') o.db = config.db;
  o.dbPasswordFile ??= config.dbPasswordFile;
}
