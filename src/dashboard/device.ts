import { html } from 'hono/html';
import {
  bootStatusInText,
  differingInText,
  imaCountsInText,
  type CheckResult,
  type PolicyViews,
} from '../policy/views';
import type { DeviceInfo } from '../policy/store';
import { WorkitemType, workitemTypeName } from '../policy/workitem-types';
import { Recommendation } from '../tnccs/types';
import { imaCountsChart } from './charts';
import { packageChanges, packageOf, timeText, verdictClass, verdictName } from './format';
import { badge, chart, page, type Html } from './layout';
import { handshakeTable } from './sessions';

export function devicesPage(v: PolicyViews): Html {
  const list = v.devices();
  const rows = list.map(
    (d) =>
      html`<tr>
        <td class="mono"><a href="/devices/${d.id}">${d.value}</a></td>
        <td>${d.product ?? '-'}</td>
        <td>${d.trusted ? badge('v-allow', 'trusted') : badge('v-none', 'not trusted')}</td>
        <td>${d.handshakes}</td>
        <td>${d.lastSeenMs === null ? '-' : timeText(d.lastSeenMs)}</td>
        <td>${d.lastSeenMs === null ? '-' : badge(verdictClass(d.lastRec), verdictName(d.lastRec))}</td>
      </tr>`,
  );
  const body =
    list.length === 0
      ? html`<p class="muted">No devices yet.</p>`
      : html`<table id="devices">
          <thead>
            <tr>
              <th>Device ID (AK key ID)</th>
              <th>Product</th>
              <th>Trust</th>
              <th>Handshakes</th>
              <th>Last seen (UTC)</th>
              <th>Last verdict</th>
            </tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
        </table>`;
  return page(
    'Devices',
    '/devices',
    html`<h1>Devices</h1>
      ${body}`,
  );
}

const statusBadge = (s: string): Html => badge(`r-${s.replace(/ /g, '-')}`, s);

function facts(d: DeviceInfo): Html {
  return html`<dl class="facts" id="device-facts">
    <dt>Device ID / AK key ID</dt>
    <dd class="mono" id="device-id">${d.value}</dd>
    <dt>AK trust</dt>
    <dd>${d.trusted ? badge('v-allow', 'trusted') : badge('v-none', 'not trusted')}</dd>
    <dt>Product</dt>
    <dd>${d.product ?? '-'}</dd>
    <dt>First seen (UTC)</dt>
    <dd>${timeText(d.created * 1000)}</dd>
    ${
      d.description
        ? html`<dt>Description</dt>
            <dd>${d.description}</dd>`
        : ''
    }
  </dl>`;
}

function attestation(v: PolicyViews, deviceId: number): Html {
  const last = v.lastAttestation(deviceId);
  if (!last) return html`<p class="muted">No attestation result stored.</p>`;
  const counts = imaCountsInText(last.result);
  const boot = bootStatusInText(last.result);
  const differ =
    v.imaFiles(last.session, last.result).filter((f) => f.verdict === 'differ').length ||
    differingInText(last.result).length;
  const history = v
    .results(deviceId, WorkitemType.TPMRA, 30)
    .reverse()
    .flatMap((r) => {
      const c = imaCountsInText(r.result);
      return c ? [{ label: `#${r.session}`, counts: c }] : [];
    });
  return html`<dl class="facts" id="attestation">
      <dt>Session</dt>
      <dd>${last.session}, ${timeText(last.time * 1000)}</dd>
      <dt>Result</dt>
      <dd>${badge(verdictClass(last.rec), verdictName(last.rec))}</dd>
      <dt>BIOS event log</dt>
      <dd>${statusBadge(boot.bios)}</dd>
      <dt>Boot aggregate</dt>
      <dd>${statusBadge(boot.bootAggregate)}</dd>
      <dt>IMA files</dt>
      <dd>
        ${counts ? html`${counts.ok} ok, ${counts.unknown} unknown, <a href="/devices/${deviceId}/ima?verdict=differ" id="differ-link">${counts.differ} differ</a>, ${counts.failed} failed · <a href="/devices/${deviceId}/ima">all files not ok</a>` : html`<span class="muted">not measured</span>`}
      </dd>
      ${
        differ > 0 && !counts
          ? html`<dt>Differing</dt>
              <dd><a href="/devices/${deviceId}/ima?verdict=differ">${differ} files</a></dd>`
          : ''
      }
    </dl>
    ${history.length > 0 ? html`<div class="charts">${chart('ima', 'IMA results per attestation (session)', imaCountsChart(history))}</div>` : ''}`;
}

function failedChecks(results: readonly CheckResult[]): Html {
  const failed = results.filter((r) => r.rec !== Recommendation.ALLOW);
  if (failed.length === 0) return html`<p class="muted">No failed checks.</p>`;
  return html`<table id="failed-checks">
    <thead>
      <tr>
        <th>Session</th>
        <th>Time (UTC)</th>
        <th>Check</th>
        <th>Verdict</th>
        <th>Reasons</th>
      </tr>
    </thead>
    <tbody>
      ${failed.map(
        (r) =>
          html`<tr>
            <td>${r.session}</td>
            <td>${timeText(r.time * 1000)}</td>
            <td>${r.policy} <span class="muted">(${workitemTypeName(r.type)})</span></td>
            <td>${badge(verdictClass(r.rec), verdictName(r.rec))}</td>
            <td>
              <ul class="reasons">
                ${r.result.split('; ').map((x) => html`<li>${x}</li>`)}
              </ul>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function software(v: PolicyViews, deviceId: number, since: number): Html {
  const state = v.swState(deviceId);
  if (!state) return html`<p class="muted">No SWIMA inventory stored.</p>`;
  const events = v.swEvents(deviceId, since);
  const inventory = v.inventory(deviceId);
  const actionClass: Record<string, string> = { installed: 'v-allow', removed: 'v-no-access', updated: 'v-isolate' };
  const eventRows = packageChanges(events).map(
    (c) =>
      html`<tr>
        <td>${c.eid}</td>
        <td>${c.timestamp}</td>
        <td>${badge(actionClass[c.action] ?? 'v-none', c.action)}</td>
        <td class="mono">${c.name}</td>
        <td class="mono">${c.version}</td>
      </tr>`,
  );
  return html`<p>
      EID epoch <span class="mono">0x${state.epoch.toString(16).padStart(8, '0')}</span>, last EID ${state.lastEid},
      ${inventory.length} packages in the inventory.
    </p>
    <form class="filters" method="get" action="/devices/${deviceId}">
      <label>Events since EID<input type="number" name="since" min="0" value="${since}" /></label
      ><button type="submit">Show</button>
    </form>
    ${
      events.length === 0
        ? html`<p class="muted">No events since EID ${since}.</p>`
        : html`<table id="sw-events">
            <thead>
              <tr>
                <th>EID</th>
                <th>Time</th>
                <th>Action</th>
                <th>Package</th>
                <th>Version</th>
              </tr>
            </thead>
            <tbody>
              ${eventRows}
            </tbody>
          </table>`
    }
    <details>
      <summary>Inventory (${inventory.length})</summary>
      <table id="inventory">
        <thead>
          <tr>
            <th>Package</th>
            <th>Version</th>
          </tr>
        </thead>
        <tbody>
          ${inventory.map((id) => {
            const p = packageOf(id);
            return html`<tr>
              <td class="mono">${p.name}</td>
              <td class="mono">${p.version}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </details>`;
}

export function devicePage(v: PolicyViews, d: DeviceInfo, since: number): Html {
  return page(
    `Device ${d.value}`,
    '/devices',
    html`<h1>Device <span class="mono">${d.value}</span></h1>
      ${facts(d)}
      <h2>Last attestation</h2>
      ${attestation(v, d.id)}
      <h2>Failed checks</h2>
      ${failedChecks(v.results(d.id))}
      <h2>Verdicts</h2>
      ${handshakeTable(v.handshakes({ deviceId: d.id, limit: 50 }))}
      <h2>Software (SWIMA)</h2>
      ${software(v, d.id, since)}`,
  );
}

const IMA_FILTERS = ['differ', 'unknown', 'failed'];

/** The not-ok IMA file results of the device's last attestation, with both hashes where known. */
export function imaPage(v: PolicyViews, d: DeviceInfo, verdict: string | undefined): Html {
  const last = v.lastAttestation(d.id);
  const files = last
    ? v.imaFiles(last.session, last.result).filter((f) => verdict === undefined || f.verdict === verdict)
    : [];
  const links = html`<p>
    Show:
    <a href="/devices/${d.id}/ima">all not ok</a
    >${IMA_FILTERS.map((x) => html` · <a href="/devices/${d.id}/ima?verdict=${x}">${x}</a>`)}
  </p>`;
  const table =
    files.length === 0
      ? html`<p class="muted">No ${verdict ?? ''} file results in the last attestation.</p>`
      : html`<table id="ima-files">
          <thead>
            <tr>
              <th>File</th>
              <th>Result</th>
              <th>Measured (IMA template hash)</th>
              <th>Reference file hashes</th>
            </tr>
          </thead>
          <tbody>
            ${files.map(
              (f) =>
                html`<tr>
                  <td class="mono">${f.path}</td>
                  <td>${statusBadge(f.verdict)}</td>
                  <td class="mono">
                    ${f.measurement ?? html`<span class="muted">not recorded</span>`}${f.algorithm ? html` <span class="muted">(${f.algorithm})</span>` : ''}
                  </td>
                  <td class="mono">
                    ${f.references.length === 0 ? html`<span class="muted">none</span>` : f.references.map((h) => html`<div>${h}</div>`)}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  const title = verdict === 'differ' ? 'IMA files that differ' : 'IMA file results';
  return page(
    title,
    '/devices',
    html`<h1>${title} · <a class="mono" href="/devices/${d.id}">${d.value}</a></h1>
      ${last ? html`<p>Attestation of session ${last.session}, ${timeText(last.time * 1000)}.</p>` : ''}${links}${table}`,
  );
}
