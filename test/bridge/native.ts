import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

export interface NativeBuild {
  /** imc-os.so, imc-swima.so, imc-attestation.so */
  library(name: 'os' | 'swima' | 'attestation'): string;
  harness: string;
}

let cached: NativeBuild | undefined;

/**
 * Builds the IF-IMC libraries with their own Makefile and the C TNC-client harness with cc, into a
 * folder removed at exit (needs make and a C compiler: scripts/setup.sh installs them).
 */
export function buildNative(): NativeBuild {
  if (cached) return cached;
  const out = mkdtempSync(join(tmpdir(), 'tnc-ifimc-'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  execFileSync('make', ['-s', '-C', join(root, 'native', 'ifimc'), `OUT=${out}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const harness = join(out, 'harness');
  execFileSync(
    'cc',
    ['-std=c11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror', '-o', harness, join(__dirname, 'harness.c'), '-ldl'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  cached = { library: (name) => join(out, `imc-${name}.so`), harness };
  return cached;
}
