import { html, raw } from 'hono/html';
import type { ChartSpec } from './charts';

export type Html = ReturnType<typeof html>;

const NAV: [string, string][] = [
  ['/sessions', 'Sessions'],
  ['/devices', 'Devices'],
  ['/policy', 'Enforcements & workitems'],
];

/** The page shell: navigation, our style sheet and scripts (Chart.js, then ours). */
export function page(title: string, here: string, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · tnc-agent lab</title>
        <link rel="stylesheet" href="/assets/style.css" />
      </head>
      <body>
        <header>
          <span class="brand">tnc-agent lab</span
          >${NAV.map(([href, label]) => html`<a href="${href}" class="${here === href ? 'here' : ''}">${label}</a>`)}
          <span id="live-status" class="live"></span>
        </header>
        <main>${body}</main>
        <script src="/assets/chart.js"></script>
        <script src="/assets/dashboard.js"></script>
      </body>
    </html>`;
}

/**
 * A chart: a canvas and its Chart.js configuration in a JSON block (data, not script: "<" is escaped
 * so no string from an endpoint can close the element).
 */
export function chart(id: string, title: string, spec: ChartSpec): Html {
  const json = JSON.stringify(spec).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return html`<div class="chart">
    <h3>${title}</h3>
    <canvas data-chart="${id}-data" aria-label="${title}"></canvas>
    <script type="application/json" id="${id}-data">
      ${raw(json)}
    </script>
  </div>`;
}

export const badge = (cls: string, text: string): Html => html`<span class="badge ${cls}">${text}</span>`;
