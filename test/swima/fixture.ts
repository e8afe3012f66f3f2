import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SwOs } from '../../src/imcs/swima/sw-id';

export const FIXTURES = join(__dirname, '..', 'data', 'fixtures', 'dpkg');
export const DEBIAN_12: SwOs = { name: 'Debian', version: '12', arch: 'x86_64' };

/** A dpkg root under `root` with the real Debian 12 status file (and, when asked, its dpkg.log). */
export function dpkgTree(root: string, withLog = false): string {
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  mkdirSync(join(root, 'var/log/apt'), { recursive: true });
  copyFileSync(join(FIXTURES, 'status'), statusFile(root));
  if (withLog) copyFileSync(join(FIXTURES, 'dpkg.log'), join(root, 'var/log/dpkg.log'));
  return root;
}

export const statusFile = (root: string): string => join(root, 'var/lib/dpkg/status');

/** Edits the status file the way dpkg would leave it: a stanza removed, a version changed, a package added. */
export function removePackage(root: string, pkg: string): void {
  const stanzas = readFileSync(statusFile(root), 'utf8').split('\n\n');
  writeFileSync(statusFile(root), stanzas.filter((s) => !s.startsWith(`Package: ${pkg}\n`)).join('\n\n'));
}

export function setVersion(root: string, pkg: string, version: string): void {
  const stanzas = readFileSync(statusFile(root), 'utf8').split('\n\n');
  writeFileSync(
    statusFile(root),
    stanzas
      .map((s) => (s.startsWith(`Package: ${pkg}\n`) ? s.replace(/^Version: .*$/m, `Version: ${version}`) : s))
      .join('\n\n'),
  );
}

export function addPackage(root: string, pkg: string, version: string): void {
  const text = readFileSync(statusFile(root), 'utf8').replace(/\n*$/, '\n');
  writeFileSync(
    statusFile(root),
    `${text}\nPackage: ${pkg}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\nDescription: test package\n`,
  );
}
