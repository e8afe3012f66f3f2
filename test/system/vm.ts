import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Host side of the system test: the QEMU guest (scripts/vm/run-vm.sh) and the lab server process. */

export const PROJECT = join(__dirname, '..', '..');
const RUN_VM = join(PROJECT, 'scripts', 'vm', 'run-vm.sh');
const GUEST_SCRIPT = join(__dirname, 'guest-attest.sh');

export type Firmware = 'seabios' | 'ovmf';

/** Why QEMU cannot run on this host at all, or undefined when it can. */
export function qemuUnavailable(): string | undefined {
  const r = spawnSync('qemu-system-x86_64', ['-machine', 'help'], { encoding: 'utf8' });
  if (r.error)
    return `qemu-system-x86_64 cannot be started (${(r.error as NodeJS.ErrnoException).code}); scripts/setup.sh installs it`;
  if (r.status !== 0) return `qemu-system-x86_64 -machine help failed: ${r.stderr.trim()}`;
  return /^q35\b/m.test(r.stdout) ? undefined : 'this QEMU has no q35 machine';
}

/** Shell assignments, single-quoted, for the guest to source. */
function envFile(path: string, env: Record<string, string>): void {
  writeFileSync(
    path,
    Object.entries(env)
      .map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'\n`)
      .join(''),
  );
}

export interface GuestRun {
  rc: number;
  /** The exchange dir; the guest's results are in out/. */
  xfer: string;
  /** run-vm.sh's own messages (timing, failures). */
  log: string;
}

export interface BootOptions {
  firmware: Firmware;
  xfer: string;
  tpmState: string;
  env: Record<string, string>;
  /** run-vm.sh --boot-tag: varies what the firmware (SeaBIOS: PCR 1) or the EFI stub (OVMF: PCR 9) measures. */
  bootTag?: string;
  /** run-vm.sh --timeout: seconds before QEMU is killed (run-vm.sh's default: 300). */
  timeoutSeconds?: number;
  /** run-vm.sh --ima: the IMA kernel arguments (default: the tcb policy, sha256, ima-ng). */
  ima?: string;
  /** Prepares the exchange dir before the boot (files the guest reads there). */
  setup(xfer: string): void;
}

/** Boots the guest once and runs guest-attest.sh in it; resolves when the guest is powered off. */
export function bootGuest(o: BootOptions): Promise<GuestRun> {
  mkdirSync(o.xfer, { recursive: true });
  o.setup(o.xfer);
  const env = join(o.xfer, 'env.in');
  envFile(env, o.env);
  const args = [
    RUN_VM,
    '--xfer',
    o.xfer,
    '--firmware',
    o.firmware,
    '--tpm-state',
    o.tpmState,
    '--env',
    env,
    ...(o.bootTag ? ['--boot-tag', o.bootTag] : []),
    ...(o.ima ? ['--ima', o.ima] : []),
    ...(o.timeoutSeconds ? ['--timeout', String(o.timeoutSeconds)] : []),
    GUEST_SCRIPT,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd: PROJECT, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ rc: code ?? -1, xfer: o.xfer, log }));
  });
}

/** A file the guest wrote into out/, as text. */
export function guestText(run: GuestRun, name: string): string {
  const p = join(run.xfer, 'out', name);
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

/** Copies what the guest left (IMA lists, event log, PCRs, console, agent output) to artifacts/system/NAME. */
export function saveArtifacts(run: GuestRun, name: string, serverLog: string): string {
  const dest = join(PROJECT, 'artifacts', 'system', name);
  mkdirSync(dest, { recursive: true });
  cpSync(run.xfer, dest, { recursive: true });
  writeFileSync(join(dest, 'run-vm.log'), run.log);
  writeFileSync(join(dest, 'server.log'), serverLog);
  return dest;
}

/**
 * The agent as the package ships it (scripts/package-deb.sh): `npm run build`'s dist/ (tsc with
 * tsconfig.build.json, incremental, then the command line bundled into dist/cli/program.js), bin/,
 * package.json and the TPM addon, with this checkout's
 * node_modules linked in. Returns its bin/tnc-agent.js. The server and the guest run this copy:
 * under TCG compiled JS starts several times faster than the sources through tsx, and edits to the
 * working tree during the test change no file that IMA measured on boot 1.
 */
export function buildAgent(dest: string): string {
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: PROJECT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.status}): ${r.stdout}${r.stderr}`);
  for (const p of ['dist', 'bin', 'package.json', join('build', 'Release', 'tnc_tpm.node')])
    cpSync(join(PROJECT, p), join(dest, p), { recursive: true });
  symlinkSync(join(PROJECT, 'node_modules'), join(dest, 'node_modules'));
  return join(dest, 'bin', 'tnc-agent.js');
}

/** `tnc-agent db ARGS --db DB` on the host: its stdout, or an error with its stderr. */
export type DbCommand = (args: string[]) => string;

export function dbCommand(agent: string, db: string): DbCommand {
  return (args) => {
    const r = spawnSync(process.execPath, [agent, 'db', ...args, '--db', db], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tnc-agent db ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
}

/** `tnc-agent --server-mode` as its own process on the host's loopback. */
export interface ServerProcess {
  port: number;
  /** Everything the server logged so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** bin/tnc-agent.js of buildAgent's copy. */
  agent: string;
  db: string;
  pki: { caCert: string; serverCert: string; serverKey: string };
  /** More `--server-mode` options. */
  args?: string[];
}

function waitListening(child: ChildProcess, out: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /PT-TLS server listening on 127\.0\.0\.1:(\d+)/.exec(out());
      if (m) resolve(Number(m[1]));
    };
    child.stderr?.on('data', check);
    child.stdout?.on('data', check);
    child.once('exit', (c) => reject(new Error(`the lab server exited with ${c}: ${out()}`)));
  });
}

export async function startServer(o: ServerOptions): Promise<ServerProcess> {
  const args = [
    o.agent,
    '--server-mode',
    '--listen',
    '127.0.0.1:0',
    '--db',
    o.db,
    '--cert',
    o.pki.serverCert,
    '--key',
    o.pki.serverKey,
    '--ca',
    o.pki.caCert,
    '--log-level',
    '2',
    ...(o.args ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (d: Buffer) => (out += d.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const port = await waitListening(child, () => out);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    port,
    log: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
