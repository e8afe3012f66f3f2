import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', 'bin', 'tnc-agent.js');
const MARK = 'LOADED-MODULES ';

/**
 * Runs `tnc-agent ARGS` (bin/tnc-agent.js) as a process and returns, with its exit status and
 * output, every file it had loaded by the time it exited (require.cache, read by a --require'd hook).
 */
export function loadedModules(...args: string[]): { status: number | null; out: string; modules: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-loaded-'));
  try {
    const hook = join(dir, 'hook.cjs');
    writeFileSync(
      hook,
      `process.on('exit', () => process.stderr.write(${JSON.stringify(MARK)} + JSON.stringify(Object.keys(require.cache)) + '\\n'));`,
    );
    const r = spawnSync(process.execPath, ['--require', hook, BIN, ...args], { encoding: 'utf8' });
    const line = r.stderr.split('\n').find((l) => l.startsWith(MARK));
    if (!line) throw new Error(`tnc-agent ${args.join(' ')} exited ${r.status} without its module list: ${r.stderr}`);
    return { status: r.status, out: r.stdout, modules: JSON.parse(line.slice(MARK.length)) as string[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
