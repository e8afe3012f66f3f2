import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

// Runs every bench/*.ts module's `run()`; each prints one line per figure:
// `<area>: <what> <value> <unit>`, and progress on stderr. With every module (no NAME), the
// figures become docs/benchmarks.md with its plots in docs/img/bench-*.svg.
const USAGE = `usage: npm run bench -- [--quick] [--no-report] [NAME]
  NAME         run only the bench/*.ts modules whose file name contains NAME (no report)
  --quick      fewer IMA sizes (1,732 and 10,000), one handshake per size, fewer OS-only handshakes
  --no-report  do not write docs/benchmarks.md
The benches run npm run build's dist/ (npm run bench builds it first). A full run takes 20-40 minutes
on 2 cores; the attestation sizes alone: TNC_BENCH_IMA=1732,50000 npm run bench -- attestation-e2e`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) return void console.log(USAGE);
  const quick = args.includes('--quick');
  const noReport = args.includes('--no-report');
  const filter = args.find((a) => !a.startsWith('--'));
  // read by bench/_util.ts, which the modules load after this line
  if (quick) process.env.TNC_BENCH_QUICK = '1';
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after TNC_BENCH_QUICK is set, one instance shared with the modules */
  const { progress } = require('../bench/_util') as typeof import('../bench/_util');
  const { watchLoad, writeReport } = require('../bench/_report') as typeof import('../bench/_report');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const dir = join(__dirname, '..', 'bench');
  const files = readdirSync(dir)
    .filter((n) => n.endsWith('.ts') && !n.startsWith('_') && (!filter || n.includes(filter)))
    .sort();
  const startedAt = new Date();
  const loadBefore = loadavg();
  const { max } = await watchLoad(async () => {
    for (const [i, f] of files.entries()) {
      progress(`${i + 1}/${files.length} ${f}`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(join(dir, f)) as { run: () => Promise<void> | void };
      await mod.run();
    }
  });
  if (filter || noReport) return;
  const file = writeReport(join(__dirname, '..'), {
    quick,
    startedAt,
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    loadBefore,
    loadAfter: loadavg(),
    loadMax: max,
  });
  progress(`wrote ${file}`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
