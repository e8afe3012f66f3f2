import type { Command } from 'commander';
import { ATTEST_EXIT, makeLogger } from '../common';
import { attest } from '../../agent/attest';
import { parseHostPort } from '../../agent/host-port';
import { openCollectors } from '../agent-collectors';
import { hostOsSources } from '../../imcs/os/host-report';
import { procPaths } from '../../imcs/os/facts';
import type { HandshakeOutcome } from '../../tnccs-client/client';
import { evaluationName } from '../../tnccs/types';

interface AttestFlags {
  server: string;
  cert?: string;
  key?: string;
  ca?: string;
  servername?: string;
  language: string;
  deviceId?: string;
  defaultPassword?: boolean;
  osRelease?: string;
  procRoot?: string;
  dpkgStatus?: string;
  saslUser?: string;
  swima: boolean;
  swimaStore: string;
  dpkgRoot: string;
  tcti?: string;
  akHandle: string;
  akCert?: string;
  imaList: string;
  eventLog: string;
  labEvidence?: string;
  logLevel: string;
  json?: boolean;
  handshakeTimeout: string;
  maxRounds: string;
}

function saslFrom(f: AttestFlags): { user: string; password: string } | undefined {
  if (!f.saslUser) return undefined;
  const password = process.env.TNC_SASL_PASSWORD;
  if (password === undefined)
    throw new Error('--sasl-user needs the password in $TNC_SASL_PASSWORD (kept off the command line)');
  return { user: f.saslUser, password };
}

export function exitCodeFor(o: HandshakeOutcome): number {
  return o.access === 'allow'
    ? ATTEST_EXIT.ALLOW
    : o.access === 'isolate'
      ? ATTEST_EXIT.ISOLATE
      : ATTEST_EXIT.NO_ACCESS;
}

/** `tnc-agent attest`: one TNC handshake against a server; the exit code is the verdict. */
export function register(program: Command): void {
  program
    .command('attest')
    .description('run one TNC handshake (PB-TNC over PT-TLS) against a TNC server and report its verdict')
    .requiredOption('--server <host:port>', 'TNC server (PT-TLS, default port 271)')
    .option('--cert <file>', 'client certificate (PEM): its CN is the identity the server sees')
    .option('--key <file>', 'client private key (PEM)')
    .option('--ca <file>', 'CA that signs the server certificate (PEM)')
    .option('--servername <name>', 'name to verify in the server certificate (default: the host)')
    .option('--language <tag>', "preferred language for the server's messages", 'en')
    .option('--device-id <id>', 'device ID to report (default: SHA-1 of /etc/machine-id)')
    .option('--default-password', 'report that a factory default password is still set')
    .option('--os-release <file>', 'os-release file to read', '/etc/os-release')
    .option('--proc-root <dir>', 'where /proc is mounted', '/proc')
    .option('--dpkg-status <file>', 'dpkg status database', '/var/lib/dpkg/status')
    .option('--no-swima', 'do not run the SWIMA IMC (software inventory and events)')
    .option('--swima-store <file>', 'SWIMA event store (SQLite)', '/var/lib/tnc-agent/swima.db')
    .option('--dpkg-root <dir>', 'root of the dpkg database the SWIMA IMC reads', '/')
    .option(
      '--tcti <tcti>',
      'run the Attestation IMC with this TPM, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321',
    )
    .option(
      '--ak-handle <handle>',
      'persistent handle of the attestation key (tnc-agent tpm provision makes one)',
      '0x81010003',
    )
    .option(
      '--ak-cert <file>',
      'send this X.509 certificate of the attestation key (PEM or DER) instead of the bare key',
    )
    .option('--ima-list <file>', 'IMA measurement list', '/sys/kernel/security/ima/binary_runtime_measurements')
    .option('--event-log <file>', 'firmware event log', '/sys/kernel/security/tpm0/binary_bios_measurements')
    .option(
      '--lab-evidence <dir>',
      'lab only: extend a software TPM with the recorded binary_bios_measurements and binary_runtime_measurements in DIR, then attest with them',
    )
    .option(
      '--sasl-user <name>',
      'authenticate by SASL PLAIN (password from $TNC_SASL_PASSWORD) instead of a certificate',
    )
    .option('--handshake-timeout <seconds>', 'give up a handshake that has not ended after this long', '300')
    .option('--max-rounds <n>', 'give up a handshake after this many batches from the server', '1000')
    .option('--log-level <n>', '0 outcomes only, 1 events, 2 messages, 3 wire detail', '1')
    .option('--json', 'log and print the result as JSON lines')
    .addHelpText(
      'after',
      `
Exit codes: ${ATTEST_EXIT.ALLOW} access allowed, ${ATTEST_EXIT.ISOLATE} isolate (quarantined), ${ATTEST_EXIT.NO_ACCESS} no access,
            ${ATTEST_EXIT.ERROR} error (server unreachable, TLS or protocol failure), ${ATTEST_EXIT.USAGE} bad usage.
Example: tnc-agent attest --server 127.0.0.1:2710 --cert lab/client.pem --key lab/client.key --ca lab/ca.pem`,
    )
    .action(async (f: AttestFlags) => {
      if (!f.ca) throw new Error('--ca is required: the CA that signs the server certificate');
      const log = makeLogger(f);
      const { host, port } = parseHostPort(f.server);
      const sasl = saslFrom(f);
      const limits = {
        timeoutMs: positive(f.handshakeTimeout, '--handshake-timeout') * 1000,
        maxRounds: positive(f.maxRounds, '--max-rounds'),
      };
      let outcome: HandshakeOutcome;
      try {
        const collectors = await openCollectors({ ...f, akHandle: Number(f.akHandle) }, log);
        const os = hostOsSources({
          defaultPassword: f.defaultPassword ?? false,
          deviceId: f.deviceId ?? collectors.deviceId,
          deviceIdOption: '--device-id',
          paths: { osRelease: f.osRelease, dpkgStatus: f.dpkgStatus, ...procPaths(f.procRoot ?? '/proc') },
        });
        try {
          outcome = await attest({
            host,
            port,
            cert: f.cert,
            key: f.key,
            ca: f.ca,
            servername: f.servername,
            language: f.language,
            log,
            os,
            sasl,
            collectors,
            limits,
          });
        } finally {
          await collectors.close();
        }
      } catch (e) {
        log.error('TNC', `attestation failed: ${(e as Error).message}`);
        process.exit(ATTEST_EXIT.ERROR);
      }
      printOutcome(outcome, f.json);
      process.exit(exitCodeFor(outcome));
    });
}

function printOutcome(o: HandshakeOutcome, json?: boolean): void {
  const evaluation = o.assessment === undefined ? 'none' : evaluationName(o.assessment);
  if (json)
    console.log(
      JSON.stringify({
        access: o.access,
        evaluation,
        reasons: o.reasons,
        remediation: o.remediation,
        pdpReferral: o.pdpReferral,
        batches: o.stats.sent + o.stats.received,
      }),
    );
  else
    console.log(
      `final recommendation is '${o.access}' and evaluation is '${evaluation}'${o.reasons.length ? `: ${o.reasons.join('; ')}` : ''}`,
    );
  for (const r of o.remediation) if (!json) console.log(`remediation: ${r}`);
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 9_999_999)
    throw new Error(`${flag} must be a whole number 1..9999999, not '${v}'`);
  return n;
}
