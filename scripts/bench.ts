import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';

// Runs every bench/*.ts module's `run()`; each prints one line per figure:
// `<area>: <what> <value> <unit>`, and progress on stderr. With every module (no NAME), the
// figures become docs/benchmarks.md with its plots in docs/img/bench-*.svg.
const USAGE = `usage: npm run bench -- [--quick] [--no-report] [--deb [FILE]] [NAME]
  NAME         run only the bench/*.ts modules whose file name contains NAME (no report)
  --quick      fewer IMA sizes (1,732 and 10,000), one handshake per size, fewer OS-only handshakes
  --no-report  do not write docs/benchmarks.md
  --deb [FILE] run tnc-agent as the .deb installs it, on the Node.js the package carries: FILE, or
               one scripts/package-deb.sh builds from this tree first (a minute with its cache)
Without --deb the benches run npm run build's dist/ on this Node.js (npm run bench builds it first).
A full run takes 20-40 minutes on 2 cores; the attestation sizes alone:
TNC_BENCH_IMA=1732,50000 npm run bench -- attestation-e2e`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) return void console.log(USAGE);
  const quick = args.includes('--quick');
  const noReport = args.includes('--no-report');
  const debAt = args.indexOf('--deb');
  const debFile = debAt >= 0 && args[debAt + 1]?.endsWith('.deb') ? args[debAt + 1] : undefined;
  const filter = args.find((a) => !a.startsWith('--') && a !== debFile);
  // TNC_BENCH_QUICK and TNC_BENCH_DEB_* are read by bench/_util.ts, which the modules load after these lines
  if (quick) process.env.TNC_BENCH_QUICK = '1';
  if (debAt >= 0) {
    const unpacked = unpackDeb(debFile);
    process.on('exit', () => rmSync(unpacked, { recursive: true, force: true }));
  }
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
/**
 * Unpacks the .deb (built first without FILE) into a temporary root and points bench/_util.ts's
 * RUNTIME at its /usr/bin/tnc-agent, with /usr/lib/tnc-agent rewritten to the unpacked copy;
 * returns the root to remove afterwards.
 */
function unpackDeb(file: string | undefined): string {
  const root = mkdtempSync(join(tmpdir(), 'tnc-bench-deb-'));
  let deb = file;
  if (!deb) {
    process.stderr.write('[bench] building the .deb (scripts/package-deb.sh)\n');
    execFileSync('bash', [join(__dirname, 'package-deb.sh'), '--out', join(root, 'out')], { stdio: 'inherit' });
    const built = readdirSync(join(root, 'out')).find((n) => n.endsWith('.deb'));
    if (!built) throw new Error('scripts/package-deb.sh made no .deb');
    deb = join(root, 'out', built);
  }
  execFileSync('dpkg-deb', ['-x', deb, join(root, 'pkg')]);
  const lib = join(root, 'pkg', 'usr', 'lib', 'tnc-agent');
  const wrapper = join(root, 'tnc-agent');
  const installed = readFileSync(join(root, 'pkg', 'usr', 'bin', 'tnc-agent'), 'utf8');
  writeFileSync(wrapper, installed.replaceAll('/usr/lib/tnc-agent', lib), { mode: 0o755 });
  const node = execFileSync(join(lib, 'node'), ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  process.env.TNC_BENCH_DEB_WRAPPER = wrapper;
  process.env.TNC_BENCH_DEB_NODE = join(lib, 'node');
  process.env.TNC_BENCH_DEB_LABEL = `${basename(deb)} unpacked: its dist/ on its Node.js ${node}`;
  return root;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
