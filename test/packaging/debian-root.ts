import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// What the packaging tests share: the host shell and a clean Debian 12 root from one cached
// debootstrap tarball.
export const MIRROR = process.env.TNC_DEB_MIRROR ?? 'http://deb.debian.org/debian';
export const SECURITY_MIRROR = process.env.TNC_DEB_SECURITY_MIRROR ?? 'http://deb.debian.org/debian-security';
const CACHE = '/var/cache/tnc-agent-test';
const BASE_TAR = join(CACHE, 'bookworm-minbase.tar');
export const repo = join(__dirname, '..', '..');
export const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

export function sh(cmd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

export function must(cmd: string): string {
  const r = sh(cmd);
  assert.equal(r.status, 0, `${cmd} failed:\n${r.out.slice(-4000)}`);
  return r.out;
}

export const quote = (cmd: string) => `'${cmd.replace(/'/g, `'\\''`)}'`;

/** The first of `tools` that is not installed, as a skip reason. */
export function missingTool(tools: readonly string[]): string | undefined {
  const tool = tools.find((t) => sh(`command -v ${t}`).status !== 0);
  return tool && `${tool} is not installed (bash scripts/setup.sh installs it)`;
}

/** Unpacks a minbase Debian 12 into `root` (made here), debootstrapped once into the cache under `work`. */
export function unpackBaseRoot(work: string, root: string): void {
  if (!existsSync(BASE_TAR)) {
    mkdirSync(CACHE, { recursive: true });
    const part = `${BASE_TAR}.${process.pid}.part`;
    must(
      `debootstrap --variant=minbase bookworm ${work}/base ${MIRROR} && tar --numeric-owner -C ${work}/base -cf ${part} . && mv ${part} ${BASE_TAR} && rm -rf ${work}/base`,
    );
  }
  mkdirSync(root);
  must(`tar --numeric-owner -C ${root} -xf ${BASE_TAR}`);
  copyFileSync('/etc/resolv.conf', join(root, 'etc', 'resolv.conf'));
}
