import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImaBinary, encodeImaEntry } from '../src/measurements/ima';
import { GNU_TIME, RUNTIME, line, QUICK, timeCommand, type TimedRun } from './_util';

// `tnc-agent ima` through its own code path (a child process, as a user runs it) on a list of
// 2,000,000 entries, against evmctl (apt package ima-evm-utils) on the same file in the same run:
// wall time as entries/s, CPU seconds and peak RSS from GNU time.
const ENTRIES = Number(process.env.IMA_CLI_BENCH_ENTRIES ?? (QUICK ? 200_000 : 2_000_000));
const ROOT = join(__dirname, '..');
const GUEST = join(ROOT, 'test', 'data', 'fixtures', 'vm', 'ovmf', 'binary_runtime_measurements');

/** The real guest's entries repeated to `n` (template hashes all valid), written in blocks. */
function writeList(path: string, n: number): number {
  const real = decodeImaBinary(readFileSync(GUEST)).map((e) => encodeImaEntry(e));
  const fd = openSync(path, 'w');
  let bytes = 0;
  for (let i = 0; i < n;) {
    const block: Buffer[] = [];
    for (let j = 0; j < 10_000 && i < n; j++, i++) block.push(real[i % real.length]);
    bytes += writeSync(fd, Buffer.concat(block));
  }
  closeSync(fd);
  return bytes;
}

function report(what: string, r: TimedRun): void {
  if (r.status !== 0) return console.log(`ima-cli: ${what} exited with ${r.status}`);
  // per CPU second: the machine may be shared, wall time is given beside it
  line(
    'ima-cli',
    `${what}`,
    ENTRIES / r.cpu,
    `entries per CPU-second (${r.cpu.toFixed(1)} s CPU, ${r.wall.toFixed(1)} s wall, ${r.rssMiB.toFixed(0)} MiB peak RSS)`,
  );
}

export function run(): void {
  if (!existsSync(GNU_TIME))
    return console.log(`ima-cli: skipped: ${GNU_TIME} (GNU time, apt package time) is not installed`);
  const dir = mkdtempSync(join(tmpdir(), 'ima-cli-bench-'));
  try {
    const list = join(dir, 'binary_runtime_measurements');
    const bytes = writeList(list, ENTRIES);
    console.log(`ima-cli: ${ENTRIES.toLocaleString('en-US')}-entry ima-ng list, ${(bytes / 1e6).toFixed(0)} MB`);
    const agent = RUNTIME.argv(['ima', '--file', list]);
    report('tnc-agent ima --summary (parse, template hashes, sha1 replay)', timeCommand([...agent, '--summary'], dir));
    if (existsSync('/usr/bin/evmctl'))
      report(
        'evmctl ima_measurement (same work, same file)',
        timeCommand(['/usr/bin/evmctl', 'ima_measurement', list], dir),
      );
    else console.log('ima-cli: evmctl: skipped: not installed (apt-get install ima-evm-utils)');
    report('tnc-agent ima (a line per entry, to /dev/null)', timeCommand(agent, dir));
    // evmctl -v prints each entry at ~10x its quiet cost (minutes at this size): only when asked
    if (existsSync('/usr/bin/evmctl') && process.env.IMA_CLI_BENCH_EVMCTL_V)
      report(
        'evmctl -v ima_measurement (a line per entry, to /dev/null)',
        timeCommand(['/usr/bin/evmctl', '-v', 'ima_measurement', list], dir),
      );
    report('tnc-agent ima --json (to /dev/null)', timeCommand([...agent, '--json'], dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
