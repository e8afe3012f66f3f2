import type { HandshakeView, ImaCounts } from '../policy/views';
import { VERDICT_COLOURS, verdictName } from './format';

/** A Chart.js configuration (https://www.chartjs.org/docs/latest/configuration/), sent as JSON. */
export interface ChartSpec {
  readonly type: 'bar' | 'line';
  readonly data: { labels: string[]; datasets: { label: string; data: number[]; backgroundColor?: string }[] };
  readonly options: Record<string, unknown>;
}

const STACKED = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
};
const VERDICTS = Object.keys(VERDICT_COLOURS);

/** The bucket width that gives at most ~24 bars over the span: a minute, an hour or a day. */
function bucketMs(spanMs: number): number {
  const minute = 60_000;
  if (spanMs <= 24 * minute) return minute;
  if (spanMs <= 48 * 60 * minute) return 60 * minute;
  return 24 * 60 * minute;
}

const bucketLabel = (ms: number, width: number): string =>
  new Date(ms)
    .toISOString()
    .slice(width >= 86_400_000 ? 0 : 5, width >= 86_400_000 ? 10 : 16)
    .replace('T', ' ');

/** Verdicts per time bucket, stacked by verdict. */
export function verdictsOverTime(handshakes: readonly HandshakeView[]): ChartSpec {
  const times = handshakes.map((h) => h.startedMs);
  const first = Math.min(...times);
  const width = bucketMs(Math.max(...times) - first);
  const start = Math.floor(first / width) * width;
  const n = handshakes.length === 0 ? 0 : Math.floor((Math.max(...times) - start) / width) + 1;
  const counts = new Map(VERDICTS.map((v) => [v, new Array<number>(n).fill(0)]));
  for (const h of handshakes) counts.get(verdictName(h.rec))![Math.floor((h.startedMs - start) / width)]++;
  return {
    type: 'bar',
    data: {
      labels: Array.from({ length: n }, (_, i) => bucketLabel(start + i * width, width)),
      datasets: VERDICTS.filter((v) => counts.get(v)!.some((c) => c > 0)).map((v) => ({
        label: v,
        data: counts.get(v)!,
        backgroundColor: VERDICT_COLOURS[v],
      })),
    },
    options: STACKED,
  };
}

/** A 1-2-5 bin width giving about ten bins up to `max`. */
function binWidth(max: number): number {
  const raw = Math.max(max / 10, 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((w) => w >= raw)!;
}

/** How many handshakes took how long (finished ones). */
export function durationHistogram(handshakes: readonly HandshakeView[]): ChartSpec {
  const d = handshakes.flatMap((h) => (h.durationMs === null ? [] : [h.durationMs]));
  const width = binWidth(Math.max(0, ...d));
  const bins = new Array<number>(d.length === 0 ? 0 : Math.floor(Math.max(...d) / width) + 1).fill(0);
  for (const x of d) bins[Math.floor(x / width)]++;
  return {
    type: 'bar',
    data: {
      labels: bins.map((_, i) => `${i * width}–${(i + 1) * width} ms`),
      datasets: [{ label: 'handshakes', data: bins, backgroundColor: '#1565c0' }],
    },
    options: { ...STACKED, plugins: { legend: { display: false } } },
  };
}

const IMA_COLOURS: Record<keyof ImaCounts, string> = {
  ok: '#2e7d32',
  unknown: '#9e9e9e',
  differ: '#c62828',
  failed: '#6a1b9a',
};

/** IMA file results of each attestation (oldest first), stacked by result. */
export function imaCountsChart(attestations: readonly { label: string; counts: ImaCounts }[]): ChartSpec {
  const keys = Object.keys(IMA_COLOURS) as (keyof ImaCounts)[];
  return {
    type: 'bar',
    data: {
      labels: attestations.map((a) => a.label),
      datasets: keys.map((k) => ({
        label: k,
        data: attestations.map((a) => a.counts[k]),
        backgroundColor: IMA_COLOURS[k],
      })),
    },
    options: STACKED,
  };
}
