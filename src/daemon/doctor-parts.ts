import { constants as fs, type Stats } from 'node:fs';
import { access, lstat, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { connect } from 'node:net';
import { SwimaStore } from '../imcs/swima/store';
import { swimaStorePath, type AgentConfig } from './config';
import type { Check } from './doctor';

/** doctor: the parts the daemon serves or keeps: the IF-IMC bridge socket and the SWIMA event store. */
export async function partChecks(c: AgentConfig): Promise<Check[]> {
  return [await bridgeCheck(c), await swimaStoreCheck(c)];
}

const errText = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`;
const accessHint = (path: string) =>
  `run doctor as root or as a member of the group owning ${dirname(path)} (tnc-agent)`;

/** The socket strongSwan's imc-*.so connect to: the running daemon makes it, mode 0660 (src/bridge/server.ts). */
export async function bridgeCheck(c: AgentConfig): Promise<Check> {
  const name = 'IF-IMC bridge socket';
  const path = c.bridge.socket;
  if (!path)
    return {
      name,
      ok: false,
      required: false,
      detail: "not configured: strongSwan cannot load the agent's IMCs",
      hint: 'set [bridge] socket = /run/tnc-agent/imc.sock to attest over the VPN (docs/vpn.md)',
    };
  const fail = (detail: string, hint: string): Check => ({
    name,
    ok: false,
    required: true,
    detail: `${path}: ${detail}`,
    hint,
  });
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return fail(
        'not there: the daemon is not running',
        'start it (`systemctl start tnc-agent`), then see `journalctl -u tnc-agent`',
      );
    return fail(errText(e), accessHint(path));
  }
  if (!st.isSocket()) return fail('is not a socket', 'remove it: the daemon makes the socket when it starts');
  const who = `mode ${octal(st.mode)}, owner ${await nameOf('/etc/passwd', st.uid)}, group ${await nameOf('/etc/group', st.gid)}`;
  if (st.mode & 0o007)
    return fail(
      `${who}: every local user can attach IMCs and read their evidence`,
      'the daemon makes it 0660: is another program making this file?',
    );
  if ((st.mode & 0o060) !== 0o060)
    return fail(
      `${who}: its group cannot connect`,
      'a charon that does not run as root needs group read and write (the daemon makes it 0660)',
    );
  const refused = await connectError(path);
  if (refused)
    return fail(
      `${who}: nobody answers (${refused}): a stale socket of a daemon that died`,
      'start the daemon (`systemctl restart tnc-agent`): it replaces the stale socket',
    );
  return { name, ok: true, required: true, detail: `${path}: socket, ${who}, the daemon answers` };
}

/** A connect, closed at once before any frame (the bridge drops that session): undefined when accepted. */
function connectError(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect(path, () => {
      s.destroy();
      resolve(undefined);
    });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('no answer in 3 s');
    });
    s.on('error', (e) => resolve(errText(e)));
  });
}

/** The name of a user or group ID from an /etc/passwd-style file, else the number. */
async function nameOf(file: string, id: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const entry = text.split('\n').find((l) => l.split(':')[2] === String(id));
  return entry?.split(':')[0] || String(id);
}

/** The SWIMA event store: present and readable (its epoch and last EID), or makeable where it goes. */
export async function swimaStoreCheck(c: AgentConfig): Promise<Check> {
  const name = 'SWIMA store';
  const required = c.swima.enabled;
  const path = swimaStorePath(c);
  try {
    await access(path, fs.F_OK);
  } catch (e) {
    if (!['ENOENT', 'ENOTDIR'].includes(errText(e)))
      return { name, ok: false, required, detail: `${path}: ${errText(e)}`, hint: accessHint(path) };
    return makeableCheck(path, required);
  }
  try {
    const s = readStore(path);
    return {
      name,
      ok: true,
      required,
      detail: `${path}: epoch 0x${s.epoch.toString(16).padStart(8, '0')}, last EID ${s.lastEid}, ${s.installed} software identifiers installed`,
    };
  } catch (e) {
    const denied =
      (e as NodeJS.ErrnoException).code === 'SQLITE_CANTOPEN' || /EACCES|permission/i.test((e as Error).message);
    const hint = denied
      ? accessHint(path)
      : 'move it aside: the daemon makes a new store (a new epoch: the server then asks for the whole inventory, RFC 8412 3.7.4)';
    return { name, ok: false, required, detail: `${path}: not a readable SWIMA store: ${(e as Error).message}`, hint };
  }
}

/** Read-only: doctor never creates the store or draws an epoch (that is the daemon's first start). */
function readStore(path: string): { epoch: number; lastEid: number; installed: number } {
  const store = new SwimaStore(path, { readOnly: true });
  try {
    return { epoch: store.epoch, lastEid: store.lastEid(), installed: store.installedCount() };
  } finally {
    store.close();
  }
}

/** A missing store is fine when the daemon can make it: its nearest existing folder is writable. */
async function makeableCheck(path: string, required: boolean): Promise<Check> {
  const name = 'SWIMA store';
  let dir = dirname(path);
  while (
    dir !== dirname(dir) &&
    !(await access(dir, fs.F_OK).then(
      () => true,
      () => false,
    ))
  )
    dir = dirname(dir);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('ENOTDIR');
    await access(dir, fs.W_OK);
    return {
      name,
      ok: true,
      required,
      detail: `${path}: not made yet; ${dir} is writable by this user (the daemon makes it on start)`,
    };
  } catch (e) {
    return {
      name,
      ok: false,
      required,
      detail: `${path}: missing, and ${dir} is not a writable folder: ${errText(e)}`,
      hint: `make ${dirname(path)} writable by the tnc-agent user, or set [swima] store`,
    };
  }
}
