import { connect } from 'node:net';

/**
 * swtpm's control channel (swtpm_ioctls(3): on TCP, a u32 big-endian command code, its payload,
 * and a u32 big-endian result): the out-of-band TPM operations a lab needs to imitate a platform.
 */
const CMD_INIT = 2;
const CMD_SET_LOCALITY = 5;
const TIMEOUT_MS = 3000;

export interface SwtpmEndpoint {
  host: string;
  port: number;
}

/** The swtpm TCTI's server address ("swtpm:host=H,port=P"; tpm2-tss defaults 127.0.0.1 and 2321). */
export function swtpmEndpoint(tcti: string): SwtpmEndpoint | undefined {
  const m = /^swtpm(?::(.*))?$/.exec(tcti);
  if (!m) return undefined;
  const conf = new Map(
    (m[1] ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=', 2) as [string, string]),
  );
  return { host: conf.get('host') ?? '127.0.0.1', port: Number(conf.get('port') ?? 2321) };
}

function control(ep: SwtpmEndpoint, request: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    // the control channel listens on the port after the TPM's (the swtpm TCTI's convention)
    const sock = connect(ep.port + 1, ep.host);
    let got = Buffer.alloc(0);
    const timer = setTimeout(
      () => sock.destroy(new Error(`swtpm control channel ${ep.host}:${ep.port + 1} did not answer`)),
      TIMEOUT_MS,
    );
    sock.on('connect', () => sock.write(request));
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4) sock.end();
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (got.length >= 4) resolve(got.readUInt32BE(0));
      else reject(new Error(`swtpm control channel closed after ${got.length} bytes`));
    });
  });
}

async function command(ep: SwtpmEndpoint, what: string, request: Buffer): Promise<void> {
  const rc = await control(ep, request);
  if (rc !== 0) throw new Error(`swtpm control ${what} failed: result 0x${rc.toString(16)}`);
}

/**
 * Re-initializes the TPM with the following commands at `locality` (ptm_init then ptm_loc); the
 * caller sends TPM2_Startup next, which then resets PCR 0 to 00..0L (TPM 2.0 Part 1 17.6.4.4).
 */
export async function reinitAtLocality(ep: SwtpmEndpoint, locality: number): Promise<void> {
  await command(ep, 'INIT', Buffer.from([0, 0, 0, CMD_INIT, 0, 0, 0, 0]));
  await command(ep, 'SET_LOCALITY', Buffer.from([0, 0, 0, CMD_SET_LOCALITY, locality]));
}
