import { html } from 'hono/html';
import type { HandshakeFilter, HandshakeView, PolicyViews } from '../policy/views';
import { VERDICT_FILTERS } from '../policy/views';
import { durationHistogram, verdictsOverTime } from './charts';
import { durationText, evaluationText, timeText, verdictClass, verdictName } from './format';
import { badge, chart, page, type Html } from './layout';

function imvList(h: HandshakeView): Html {
  return html`<ul class="imvs">
    ${h.imvs.map((i) => html`<li>${i.imv}: ${badge(verdictClass(i.rec), verdictName(i.rec))} <span class="muted">${evaluationText(i.evaluation)}</span></li>`)}
  </ul>`;
}

function row(h: HandshakeView): Html {
  const device =
    h.deviceId === null ? html`<span class="muted">-</span>` : html`<a href="/devices/${h.deviceId}">${h.device}</a>`;
  return html`<tr data-handshake="${h.id}" data-verdict="${verdictName(h.rec)}">
    <td>${timeText(h.startedMs)}</td>
    <td class="mono">
      ${device}
      <div class="muted">${h.product ?? ''}</div>
    </td>
    <td>${h.identity ?? '-'}</td>
    <td>${h.transport === 'pt-tls' ? 'PT-TLS' : h.transport === 'eap' ? 'PT-EAP' : h.transport}</td>
    <td>${imvList(h)}</td>
    <td>
      ${badge(verdictClass(h.rec), verdictName(h.rec))} <span class="muted">${evaluationText(h.evaluation)}</span>${
        h.reasons.length > 0
          ? html`<ul class="reasons">
              ${h.reasons.map((r) => html`<li>${r}</li>`)}
            </ul>`
          : ''
      }
    </td>
    <td>${durationText(h.durationMs)}</td>
  </tr>`;
}

/** The handshakes table, newest first. */
export function handshakeTable(list: readonly HandshakeView[]): Html {
  if (list.length === 0) return html`<p class="muted">No handshakes yet.</p>`;
  return html`<table id="sessions">
    <thead>
      <tr>
        <th>Time (UTC)</th>
        <th>Device</th>
        <th>Identity</th>
        <th>Transport</th>
        <th>IMV recommendations</th>
        <th>Verdict</th>
        <th>Duration</th>
      </tr>
    </thead>
    <tbody>
      ${list.map(row)}
    </tbody>
  </table>`;
}

/** What the live region holds: the plots and the table, re-rendered when a handshake starts or ends. */
export function sessionsLive(v: PolicyViews, f: HandshakeFilter): Html {
  const list = v.handshakes(f);
  const plots =
    list.length === 0
      ? ''
      : html`<div class="charts">
          ${chart('verdicts', 'Verdicts over time', verdictsOverTime(list))}${chart('durations', 'Handshake duration', durationHistogram(list))}
        </div>`;
  return html`${plots}
    <h2>${list.length} handshake${list.length === 1 ? '' : 's'}</h2>
    ${handshakeTable(list)}`;
}

export function sessionsPage(v: PolicyViews, f: HandshakeFilter, liveUrl: string): Html {
  const devices = v.devices();
  const filters = html`<form class="filters" method="get" action="/sessions">
    <label
      >Device<select name="device">
        <option value="">all</option>
        ${devices.map((d) => html`<option value="${d.id}" ${f.deviceId === d.id ? 'selected' : ''}>${d.value}</option>`)}
      </select></label
    >
    <label
      >Verdict<select name="verdict">
        <option value="">all</option>
        ${VERDICT_FILTERS.map((x) => html`<option value="${x}" ${f.verdict === x ? 'selected' : ''}>${x}</option>`)}
      </select></label
    >
    <button type="submit">Filter</button>
  </form>`;
  return page(
    'Sessions',
    '/sessions',
    html`<h1>Sessions</h1>
      ${filters}
      <div id="live" data-live="${liveUrl}">${sessionsLive(v, f)}</div>`,
  );
}
