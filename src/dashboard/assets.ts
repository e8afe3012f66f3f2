import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What the pages load besides HTML, all served by the agent: Chart.js's UMD build from its npm
 * package, our style sheet and our script (no build step: plain CSS and ES2020 that browsers run as is).
 */
// the package exports only its module entries; the browser build sits beside them in dist/
export const chartJs = (): Buffer => readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'));

export const STYLE = `
:root { font-family: system-ui, sans-serif; color: #212121; background: #fafafa; }
body { margin: 0; }
header { background: #263238; color: #fff; padding: .6rem 1rem; display: flex; gap: 1.5rem; align-items: baseline; }
header a { color: #cfd8dc; text-decoration: none; } header a:hover, header a.here { color: #fff; }
header .brand { font-weight: 600; color: #fff; }
main { padding: 1rem; max-width: 1280px; }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; } h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .88rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e0e0e0; vertical-align: top; }
th { background: #eceff1; font-weight: 600; }
td.mono, span.mono, code { font-family: ui-monospace, monospace; font-size: .82rem; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: .6rem; color: #fff; font-size: .8rem; white-space: nowrap; }
.v-allow { background: #2e7d32; } .v-isolate { background: #ef6c00; } .v-no-access { background: #c62828; }
.v-no-recommendation { background: #757575; } .v-none { background: #bdbdbd; color: #212121; }
.r-ok { background: #2e7d32; } .r-registered { background: #1565c0; } .r-differs, .r-differ { background: #c62828; }
.r-unknown, .r-not-checked { background: #9e9e9e; } .r-failed { background: #6a1b9a; }
.imvs { margin: 0; padding: 0; list-style: none; } .imvs li { white-space: nowrap; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 1rem; }
.chart { background: #fff; border: 1px solid #e0e0e0; padding: .5rem; height: 220px; }
.chart h3 { margin: 0 0 .3rem; font-size: .9rem; } .chart canvas { max-height: 180px; }
form.filters { display: flex; gap: .8rem; align-items: end; margin-bottom: .8rem; flex-wrap: wrap; }
form.filters label { display: flex; flex-direction: column; font-size: .8rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; background: #fff; padding: .7rem; border: 1px solid #e0e0e0; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.reasons { margin: 0; padding-left: 1.1rem; } .muted { color: #757575; }
.live { font-size: .8rem; color: #757575; } .live.on::before { content: "● "; color: #2e7d32; }
`;

/** Draws every chart of a region from its JSON block and reloads the live region when the server says something changed. */
export const CLIENT = `
(function () {
  'use strict';
  var charts = [];
  function draw(root) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    root.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      var spec = document.getElementById(canvas.getAttribute('data-chart'));
      if (spec && window.Chart) charts.push(new window.Chart(canvas, JSON.parse(spec.textContent)));
    });
  }
  draw(document);
  var live = document.querySelector('[data-live]');
  var status = document.getElementById('live-status');
  if (!live || !window.EventSource) return;
  var source = new EventSource('/events');
  source.onopen = function () { if (status) { status.textContent = 'live'; status.className = 'live on'; } };
  source.onerror = function () { if (status) { status.textContent = 'reconnecting'; status.className = 'live'; } };
  source.addEventListener('change', function () {
    fetch(live.getAttribute('data-live'), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error(String(r.status))); })
      .then(function (text) { live.innerHTML = text; draw(live); live.setAttribute('data-version', String(Number(live.getAttribute('data-version') || 0) + 1)); })
      .catch(function () { /* the next change retries */ });
  });
})();
`;
