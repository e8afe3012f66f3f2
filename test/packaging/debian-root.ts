import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * A Debian 12 root as a stock install has it (bookworm, -updates, -security), in which no service starts
 * (strongswan-charon's postinst would try), with /proc mounted; the caller runs apt-get update.
 */
export function makeBookwormRoot(work: string): string {
  const root = join(work, 'root');
  unpackBaseRoot(work, root);
  writeFileSync(
    join(root, 'etc', 'apt', 'sources.list'),
    `deb ${MIRROR} bookworm main\ndeb ${MIRROR} bookworm-updates main\ndeb ${SECURITY_MIRROR} bookworm-security main\n`,
  );
  writeFileSync(join(root, 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  writeFileSync(join(root, 'etc', 'machine-id'), `${'0123456789abcdef'.repeat(2)}\n`);
  must(`mount -t proc proc ${root}/proc`);
  return root;
}

/** The code blocks docs/vpn.md marks `<!-- KIND: NAME -->` (kind: file, run, gateway, client), by name. */
export function vpnDocBlocks(kind: string): Map<string, string> {
  const doc = readFileSync(join(repo, 'docs', 'vpn.md'), 'utf8');
  const re = new RegExp(`^<!-- ${kind}: (\\S+) -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  return new Map([...doc.matchAll(re)].map((m) => [m[1], m[2]]));
}
