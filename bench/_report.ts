import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { E2eResult } from './attestation-e2e';
import { figures, records, RUNTIME } from './_util';
import type { StartupResult } from './startup';
import { barChart, lineChart, type Series } from './_svg';

// docs/benchmarks.md and its plots (docs/img/bench-*.svg), from the figures of one `npm run bench`.

/**
 * strongSwan 5.9.14 (pt-tls-client with its OS and Attestation IMCs against charon + tnc-pdp with
 * its IMVs), measured on the reference machine (2 cores, loopback, swtpm, sha256, log level 1),
 * median of paired runs: the figures of issue 15. They are drawn beside ours, never mixed with them.
 */
const STRONGSWAN = [
  { entries: 1732, wall: 0.81, cpuClient: 0.4, cpuServer: 0.19, rssClient: 10.8, rssServer: 14.4 },
  { entries: 10_000, wall: 1.63, cpuClient: 0.6, cpuServer: 0.8, rssClient: 22.4, rssServer: 28.1 },
  { entries: 50_000, wall: 6.89, cpuClient: 1.49, cpuServer: 5.13, rssClient: 50.7, rssServer: 79.1 },
  { entries: 100_000, wall: 35.64, cpuClient: 2.63, cpuServer: 31.16, rssClient: 82.5, rssServer: 154.6 },
];
const OURS = '#1f6fb4';
const THEIRS = '#c8372d';
const THEIRS_LABEL = 'strongSwan 5.9.14 (reference machine)';

export interface RunInfo {
  quick: boolean;
  startedAt: Date;
  seconds: number;
  loadBefore: number[];
  loadAfter: number[];
  loadMax: number;
}

const fmt = (v: number, digits = 2) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits));
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

function e2eSection(e2e: E2eResult[], img: (name: string, svg: string) => string): string[] {
  const ours = (k: keyof E2eResult): [number, number][] => e2e.map((r) => [r.imaEntries, r[k]]);
  const ref = (k: keyof (typeof STRONGSWAN)[0]): [number, number][] => STRONGSWAN.map((r) => [r.entries, r[k]]);
  const chart = (title: string, yLabel: string, series: Series[]) =>
    lineChart({ title, xLabel: 'IMA entries', yLabel, series });
  const out = [
    '## End to end: one attestation against the IMA list size',
    '',
    'OS + Attestation IMCs (`tnc-agent attest`, a new process per handshake: start-up included) against',
    '`tnc-agent --server-mode` with the OS and Attestation IMVs, both as the header says, PT-TLS on loopback,',
    'swtpm, sha256, 13 BIOS events + N IMA entries of the seabios guest, log level 1, every run allow.',
    "Median of the runs (agent peak RSS: the largest). strongSwan's columns are from the reference",
    'machine (issue 15, paired runs there), not from this run: compare shapes, not absolute values.',
    '"private" is the peak less the pages of mapped files (the runtime binary and libraries, shared by',
    `every process that maps them): the bare runtime alone (\`node -e 0\`) peaks at ${fmt(e2e[0].runtimeMiB, 1)} MiB, ${fmt(e2e[0].runtimeFileMiB, 1)} MiB of it mapped files.`,
    '',
    '| IMA entries | wall s | strongSwan wall s | agent CPU s | strongSwan client CPU s | server CPU s | strongSwan server CPU s | agent peak RSS MiB | of it private | strongSwan client MiB | server peak RSS MiB | server idle MiB | of it private | strongSwan server MiB | PB-TNC bytes c→s | batches | server log lines |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of e2e) {
    const s = STRONGSWAN.find((x) => x.entries === r.imaEntries);
    const ss = (v: number | undefined, digits = 2) => (v === undefined ? '-' : fmt(v, digits));
    out.push(
      `| ${r.imaEntries.toLocaleString('en-US')} | ${fmt(r.wallSec)} | ${ss(s?.wall)} | ${fmt(r.agentCpuSec)} | ${ss(s?.cpuClient)} | ${fmt(r.serverCpuSec)} | ${ss(s?.cpuServer)} | ${fmt(r.agentPeakMiB, 1)} | ${fmt(r.agentPeakMiB - r.agentFileMiB, 1)} | ${ss(s?.rssClient, 1)} | ${fmt(r.serverPeakMiB, 1)} | ${fmt(r.serverIdleMiB, 1)} | ${fmt(r.serverIdleMiB - r.serverIdleFileMiB, 1)} | ${ss(s?.rssServer, 1)} | ${Number.isFinite(r.bytesOut) ? r.bytesOut.toLocaleString('en-US') : '-'} | ${r.batches} | ${r.serverLogLines} |`,
    );
  }
  if (e2e.length >= 2) {
    const [first, last] = [e2e[0], e2e[e2e.length - 1]];
    const slope = (k: 'agentCpuSec' | 'serverCpuSec') =>
      ((last[k] - first[k]) / (last.imaEntries - first.imaEntries)) * 1e6;
    out.push(
      '',
      `Agent CPU at ${first.imaEntries.toLocaleString('en-US')} entries, mostly its fixed cost (start-up, TLS, TPM, OS facts): ${fmt(first.agentCpuSec)} s;`,
      `then ${fmt(slope('agentCpuSec'))} µs per added IMA entry up to ${last.imaEntries.toLocaleString('en-US')}. Server: ${fmt(first.serverCpuSec)} s, then ${fmt(slope('serverCpuSec'))} µs per added entry.`,
    );
  }
  out.push(
    '',
    img(
      'bench-e2e-wall.svg',
      chart('Handshake wall time', 'seconds', [
        { name: 'tnc-agent (this run)', points: ours('wallSec'), color: OURS },
        { name: THEIRS_LABEL, points: ref('wall'), color: THEIRS, dashed: true },
      ]),
    ),
    img(
      'bench-e2e-cpu.svg',
      chart('CPU per handshake', 'CPU seconds', [
        { name: 'tnc-agent attest (this run)', points: ours('agentCpuSec'), color: OURS },
        { name: 'tnc-agent --server-mode (this run)', points: ours('serverCpuSec'), color: '#5aa02c' },
        { name: `client: ${THEIRS_LABEL}`, points: ref('cpuClient'), color: THEIRS, dashed: true },
        { name: `server: ${THEIRS_LABEL}`, points: ref('cpuServer'), color: '#e08a1e', dashed: true },
      ]),
    ),
    img(
      'bench-e2e-rss.svg',
      chart('Peak RSS', 'MiB', [
        { name: 'tnc-agent attest (this run)', points: ours('agentPeakMiB'), color: OURS },
        { name: 'tnc-agent --server-mode (this run)', points: ours('serverPeakMiB'), color: '#5aa02c' },
        { name: `client: ${THEIRS_LABEL}`, points: ref('rssClient'), color: THEIRS, dashed: true },
        { name: `server: ${THEIRS_LABEL}`, points: ref('rssServer'), color: '#e08a1e', dashed: true },
      ]),
    ),
    '',
  );
  return out;
}

function startupSection(rows: StartupResult[]): string[] {
  return [
    '## Start-up',
    '',
    'One process per start (bench/startup.ts): the bare runtime is the floor under every command;',
    '`--version` answers before the command line parser loads; `attest --help` loads what a handshake',
    'loads before it connects; `--help` loads every command. Median wall and peak RSS, mean CPU.',
    '',
    '| command | wall ms | CPU ms | peak RSS MiB |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${fmt(r.wallMs, 1)} | ${fmt(r.cpuMs, 1)} | ${fmt(r.rssMiB, 1)} |`),
    '',
  ];
}

function barsOf(area: string, match: RegExp, color: string) {
  return figures
    .filter((f) => f.area === area && match.test(f.what))
    .map((f) => ({ name: f.what, value: f.value, color }));
}

export function writeReport(root: string, info: RunInfo): string {
  const docs = join(root, 'docs');
  mkdirSync(join(docs, 'img'), { recursive: true });
  const img = (name: string, svg: string) => {
    writeFileSync(join(docs, 'img', name), svg);
    return `![${name}](img/${name})`;
  };
  const cpu = cpus();
  const out = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${info.quick ? ' -- --quick' : ''}\` (scripts/bench.ts, bench/*.ts) on ${info.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC,`,
    `${fmt(info.seconds / 60, 1)} minutes${info.quick ? ', quick mode (fewer sizes and handshakes)' : ''}. Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'},`,
    `${Math.round(totalmem() / 1024 ** 3)} GiB. tnc-agent as measured: ${RUNTIME.label}. Load average (1 / 5 / 15 min) ${load(info.loadBefore)} before,`,
    `${load(info.loadAfter)} after, highest 1-minute value seen ${info.loadMax.toFixed(2)}: the machine is shared, and a load`,
    'above its core count stretches wall times (CPU times much less). Compare runs made under similar load.',
    '',
  ];
  const startup = records.get('startup') as StartupResult[] | undefined;
  if (startup?.length) out.push(...startupSection(startup));
  const e2e = records.get('attestation-e2e') as E2eResult[] | undefined;
  if (e2e?.length) out.push(...e2eSection(e2e, img));
  const ima = [
    ...barsOf('measurements', /^IMA /, OURS),
    ...barsOf('ima-cli', /^tnc-agent ima --summary/, OURS),
    // performance reference: evmctl 1.4 on the reference machine, 100,000 ima-ng entries
    { name: 'evmctl ima_measurement (reference machine)', value: 145_000, color: THEIRS },
  ];
  if (ima.length > 1) {
    out.push(
      '## IMA list: parse, template hash, PCR 10 replay',
      '',
      'The library over a 100,000-entry list in memory (bench/measurements.ts), the `tnc-agent ima --summary`',
      'command over a file (bench/ima-cli.ts: entries per CPU-second); evmctl 1.4 checked 145,000 entries/s',
      'on the reference machine (parse, template hash, PCR 10 replay).',
      '',
      img('bench-ima.svg', barChart({ title: 'IMA entries per second (one core)', unit: 'entries/s', bars: ima })),
      '',
    );
  }
  const hs = barsOf('handshake', /handshakes\/s/, '#5aa02c');
  if (hs.length) {
    out.push(
      '## Handshakes per second',
      '',
      'OS-only handshakes over PT-TLS against one `tnc-agent --server-mode` (as the header says), the clients in the',
      "bench's process (bench/handshake.ts): clients and server share the machine's cores.",
      '',
      img('bench-handshakes.svg', barChart({ title: 'OS-only handshakes per second', unit: '/s', bars: hs })),
      '',
    );
  }
  out.push('## Every figure', '', '| area | what | value | unit |', '|---|---|---|---|');
  for (const f of figures) out.push(`| ${f.area} | ${f.what} | ${fmt(f.value)} | ${f.unit} |`);
  out.push('');
  const file = join(docs, 'benchmarks.md');
  writeFileSync(file, out.join('\n'));
  return file;
}

/** The highest 1-minute load average sampled while `fn` runs. */
export async function watchLoad<T>(fn: () => Promise<T>): Promise<{ result: T; max: number }> {
  let max = loadavg()[0];
  const timer = setInterval(() => (max = Math.max(max, loadavg()[0])), 5000);
  try {
    return { result: await fn(), max };
  } finally {
    clearInterval(timer);
  }
}
