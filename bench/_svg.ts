// Small hand-written SVG charts for docs/benchmarks.md: no plotting library, nothing fetched.

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
}

const W = 640;
const H = 360;
const M = { left: 64, right: 16, top: 40, bottom: 48 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1, 2 or 5 times a power of ten: about `count` steps from 0 to max. */
function niceStep(max: number, count = 5): number {
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

function label(v: number): string {
  if (v >= 1000) return `${v / 1000}k`;
  return String(Number(v.toPrecision(3)));
}

function axes(xMax: number, yMax: number, xLabel: string, yLabel: string, xTicks?: number[]): string[] {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const out: string[] = [];
  const yStep = niceStep(yMax);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    const y = M.top + ph - (v / yMax) * ph;
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${label(v)}</text>`);
  }
  const xs = xTicks ?? Array.from({ length: Math.floor(xMax / niceStep(xMax)) + 1 }, (_, i) => i * niceStep(xMax));
  for (const v of xs) {
    const x = M.left + (v / xMax) * pw;
    out.push(`<line x1="${x}" y1="${M.top + ph}" x2="${x}" y2="${M.top + ph + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${M.top + ph + 18}" text-anchor="middle">${label(v)}</text>`);
  }
  out.push(`<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  return out;
}

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Lines with point markers over a linear x axis from 0; the legend at the top left. */
export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[] }): string {
  const all = o.series.flatMap((s) => s.points);
  const xMax = Math.max(...all.map(([x]) => x));
  const yMax = Math.max(...all.map(([, y]) => y)) * 1.1 || 1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number) => M.left + (x / xMax) * pw;
  const py = (y: number) => M.top + ph - (y / yMax) * ph;
  const body = axes(xMax, yMax, o.xLabel, o.yLabel);
  o.series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    body.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of s.points)
      body.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = M.top + 8 + i * 16;
    body.push(
      `<line x1="${M.left + 10}" y1="${ly}" x2="${M.left + 34}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    body.push(`<text x="${M.left + 40}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  return frame(o.title, body);
}

/** Horizontal bars, one per item, the value written after each. */
export function barChart(o: { title: string; unit: string; bars: { name: string; value: number; color: string }[] }) {
  const width = 800;
  const rowH = 28;
  const height = M.top + o.bars.length * rowH + 16;
  const labelW = 380;
  const pw = width - labelW - 150;
  const max = Math.max(...o.bars.map((b) => b.value)) || 1;
  const body = o.bars.flatMap((b, i) => {
    const y = M.top + i * rowH;
    const w = Math.max(1, (b.value / max) * pw);
    const v = b.value >= 100 ? Math.round(b.value).toLocaleString('en-US') : b.value.toFixed(2);
    return [
      `<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(b.name)}</text>`,
      `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="${b.color}"/>`,
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 16}">${esc(`${v} ${o.unit}`)}</text>`,
    ];
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
