import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's root: two levels above src/cli, dist/cli and dist/cli's bundle (package.json, test/). */
export const PACKAGE_ROOT = join(__dirname, '..', '..');

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };

/** `tnc-agent 0.1.0 (Node.js 24.22.3, OpenSSL 3.5.9)`: a runtime security update shows here too. */
export function versionLine(): string {
  return `tnc-agent ${pkg.version} (Node.js ${process.versions.node}, OpenSSL ${process.versions.openssl})`;
}
