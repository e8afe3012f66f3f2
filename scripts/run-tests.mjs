// Runs every test/**/*.test.ts under Node's built-in test runner (TypeScript through tsx).
// `node scripts/run-tests.mjs [substring...]` narrows to files whose path contains a substring.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = walk('test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// a hung test fails after 3 minutes instead of stalling the run (steps that build packages set a longer bound)
const timeout = Number(process.env.TNC_TEST_TIMEOUT_MS ?? 180000);
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${timeout}`, ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
