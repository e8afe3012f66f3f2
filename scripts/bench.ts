import { readdirSync } from 'node:fs';
import { join } from 'node:path';

// Runs every bench/*.ts module's `run()`; each prints one line per figure:
// `<area>: <what> <value> <unit>`. `npm run bench -- NAME` runs only modules whose file name contains NAME.
async function main(): Promise<void> {
  const dir = join(__dirname, '..', 'bench');
  const filter = process.argv[2];
  const files = readdirSync(dir)
    .filter((n) => n.endsWith('.ts') && !n.startsWith('_') && (!filter || n.includes(filter)))
    .sort();
  for (const f of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(dir, f)) as { run: () => Promise<void> | void };
    await mod.run();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
