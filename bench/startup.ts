import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GNU_TIME, line, progress, QUICK, record, RUNTIME, timeCommand } from './_util';

// Start-up of the CLI as it ships (RUNTIME): the bare runtime (`node -e 0`), the floor under every
// command; `tnc-agent --version`, answered before the command line parser loads; `attest --help`,
// the attest command's modules (what a handshake loads before it connects); `--help`, every
// command's module. RUNS starts each, interleaved: the median wall (the bench's clock) and peak RSS,
// the mean CPU (GNU time counts it in 10 ms steps).
const RUNS = QUICK ? 7 : 21;

export interface StartupResult {
  readonly what: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly rssMiB: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function run(): void {
  if (!existsSync(GNU_TIME))
    return console.log(`startup: skipped: ${GNU_TIME} (GNU time, apt package time) is not installed`);
  const cases: [string, string[]][] = [
    ['bare runtime (node -e 0)', [RUNTIME.node, '-e', '0']],
    ['tnc-agent --version', RUNTIME.argv(['--version'])],
    ['tnc-agent attest --help', RUNTIME.argv(['attest', '--help'])],
    ['tnc-agent --help', RUNTIME.argv(['--help'])],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'tnc-bench-startup-'));
  try {
    // one start of each first: the compile cache (Node.js 22.1+) is written by the first run
    for (const [, argv] of cases) timeCommand(argv, dir);
    const runs = cases.map(() => [] as ReturnType<typeof timeCommand>[]);
    for (let i = 0; i < RUNS; i++) {
      progress(`startup: round ${i + 1}/${RUNS}`);
      cases.forEach(([what, argv], k) => {
        const r = timeCommand(argv, dir);
        if (r.status !== 0) throw new Error(`${what} exited with ${r.status}`);
        runs[k].push(r);
      });
    }
    const results: StartupResult[] = cases.map(([what], k) => ({
      what,
      wallMs: median(runs[k].map((r) => r.wall)) * 1000,
      cpuMs: (runs[k].reduce((n, r) => n + r.cpu, 0) / runs[k].length) * 1000,
      rssMiB: median(runs[k].map((r) => r.rssMiB)),
    }));
    for (const r of results) {
      line('startup', `${r.what}: wall`, r.wallMs, 'ms');
      line('startup', `${r.what}: CPU`, r.cpuMs, 'ms');
      line('startup', `${r.what}: peak RSS`, r.rssMiB, 'MiB');
    }
    record('startup', results);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
