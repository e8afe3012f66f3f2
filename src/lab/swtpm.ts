import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway swtpm (TPM 2.0) on loopback TCP, for tests and the lab demo. Close every TPM context on it before stop(). */
export interface Swtpm {
  /** TCTI string for tpm2-tss, e.g. "swtpm:host=127.0.0.1,port=40123". */
  tcti: string;
  port: number;
  stateDir: string;
  /** Sends TPM2_Shutdown(CLEAR), then stops swtpm through its control channel and removes the state. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
// TPM 2.0 Part 3 9.4: TPM2_Shutdown(TPM_SU_CLEAR) = tag NO_SESSIONS, size 12, TPM_CC_Shutdown 0x145.
const TPM2_SHUTDOWN_CLEAR = Buffer.from('80010000000c000001450000', 'hex');
// swtpm control channel (swtpm_ioctls.h): CMD_SHUTDOWN = 3.
const CMD_SHUTDOWN = Buffer.from('00000003', 'hex');

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, HOST, () => s.close(() => resolve(true)));
  });
}

/** A port P with P+1 also free: the swtpm TCTI talks to the control channel at port + 1. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000) * 2;
    if ((await portFree(p)) && (await portFree(p + 1))) return p;
  }
  throw new Error('no free TCP port pair for swtpm');
}

/** Sends one request on a fresh TCP connection and resolves with the first `want` bytes of the answer. */
function exchange(port: number, req: Buffer, want: number, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, HOST);
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => sock.destroy(new Error(`swtpm on port ${port} did not answer`)), timeoutMs);
    sock.on('connect', () => sock.write(req));
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= want) sock.end();
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (got.length >= want) resolve(got);
      else reject(new Error(`swtpm on port ${port} closed after ${got.length} bytes`));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, HOST);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function waitReady(child: ChildProcess, ctrlPort: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`swtpm exited with code ${child.exitCode}`);
    if (await canConnect(ctrlPort)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('swtpm did not start listening within 5 s');
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function shutdown(child: ChildProcess, port: number, stateDir: string): Promise<void> {
  // An orderly TPM2_Shutdown keeps the dictionary-attack counter from growing (TPM 2.0 Library Part 1,
  // dictionary attack protection: after a shutdown that was not orderly, TPM2_Startup counts a failure).
  const rsp = await exchange(port, TPM2_SHUTDOWN_CLEAR, 10).catch((e: Error) => e);
  const rc = rsp instanceof Error ? rsp.message : rsp.readUInt32BE(6);
  if (rc !== 0)
    console.error(`swtpm: TPM2_Shutdown failed: ${typeof rc === 'number' ? `rc 0x${rc.toString(16)}` : rc}`);
  await exchange(port + 1, CMD_SHUTDOWN, 4).catch(() => undefined);
  if (!(await exited(child, 3000))) {
    child.kill('SIGTERM');
    await exited(child, 3000);
  }
  rmSync(stateDir, { recursive: true, force: true });
}

/** Starts swtpm with a fresh state directory; it answers already started (TPM2_Startup CLEAR). */
export async function startSwtpm(): Promise<Swtpm> {
  const stateDir = mkdtempSync(join(tmpdir(), 'swtpm-'));
  const port = await freePortPair();
  const child = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${stateDir}`,
      '--server',
      `type=tcp,port=${port},bindaddr=${HOST}`,
      '--ctrl',
      `type=tcp,port=${port + 1},bindaddr=${HOST}`,
      '--flags',
      'not-need-init,startup-clear',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitReady(child, port + 1);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}: ${stderr.trim()}`, { cause: e });
  }
  let stopped: Promise<void> | undefined;
  return {
    tcti: `swtpm:host=${HOST},port=${port}`,
    port,
    stateDir,
    stop: () => (stopped ??= shutdown(child, port, stateDir)),
  };
}
