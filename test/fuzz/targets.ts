import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzTarget } from './harness';

/** Every module in test/fuzz/targets/ exports `targets: FuzzTarget[]`; one file per decoder family. */
export function loadTargets(): FuzzTarget[] {
  const dir = join(__dirname, 'targets');
  const all: FuzzTarget[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => /\.(ts|js)$/.test(n) && !n.endsWith('.d.ts'))
    .sort()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(dir, f)) as { targets: FuzzTarget[] };
    all.push(...mod.targets);
  }
  return all;
}
