import { html } from 'hono/html';
import type { PolicyViews } from '../policy/views';
import { workitemTypeName } from '../policy/workitem-types';
import { recommendationName } from '../tnccs/types';
import { timeText, verdictClass, verdictName } from './format';
import { badge, page, type Html } from './layout';

/** Enforcements, running workitems and the newest results; editing stays in `tnc-agent db enforce`. */
export function policyPage(v: PolicyViews): Html {
  const enf = v.enforcements();
  const work = v.workitems();
  const results = v.recentResults(50);
  return page(
    'Enforcements & workitems',
    '/policy',
    html`<h1>Enforcements</h1>
      ${
        enf.length === 0
          ? html`<p class="muted">No enforcements: every IMV answers without workitems.</p>`
          : html`<table id="enforcements">
              <thead>
                <tr>
                  <th>ID</th>
                  <th>Policy</th>
                  <th>Type</th>
                  <th>Argument</th>
                  <th>Group</th>
                  <th>On failure</th>
                  <th>Without result</th>
                  <th>Max age</th>
                </tr>
              </thead>
              <tbody>
                ${enf.map(
                  (e) =>
                    html`<tr>
                      <td>${e.id}</td>
                      <td>${e.policy}</td>
                      <td>${workitemTypeName(e.type)}</td>
                      <td class="mono">${e.argument}</td>
                      <td>${e.group}</td>
                      <td>${recommendationName(e.recFail)}</td>
                      <td>${recommendationName(e.recNoResult)}</td>
                      <td>${e.maxAge === 0 ? 'always measure' : `${e.maxAge} s`}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Workitems of running sessions</h2>
      ${
        work.length === 0
          ? html`<p class="muted">None: no session is running.</p>`
          : html`<table id="workitems">
              <thead>
                <tr>
                  <th>ID</th>
                  <th>Session</th>
                  <th>Device</th>
                  <th>Type</th>
                  <th>Argument</th>
                  <th>Result</th>
                </tr>
              </thead>
              <tbody>
                ${work.map(
                  (w) =>
                    html`<tr>
                      <td>${w.id}</td>
                      <td>${w.session}</td>
                      <td class="mono">${w.device ?? '-'}</td>
                      <td>${workitemTypeName(w.type)}</td>
                      <td class="mono">${w.argStr}</td>
                      <td>
                        ${w.recFinal === null ? html`<span class="muted">pending</span>` : html`${badge(verdictClass(w.recFinal), verdictName(w.recFinal))} ${w.result ?? ''}`}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Newest results</h2>
      ${
        results.length === 0
          ? html`<p class="muted">No results yet.</p>`
          : html`<table id="results">
              <thead>
                <tr>
                  <th>Session</th>
                  <th>Time (UTC)</th>
                  <th>Device</th>
                  <th>Check</th>
                  <th>Verdict</th>
                  <th>Result</th>
                </tr>
              </thead>
              <tbody>
                ${results.map(
                  (r) =>
                    html`<tr>
                      <td>${r.session}</td>
                      <td>${timeText(r.time * 1000)}</td>
                      <td class="mono">
                        ${r.deviceId === null ? '-' : html`<a href="/devices/${r.deviceId}">${r.device}</a>`}
                      </td>
                      <td>${r.policy}</td>
                      <td>${badge(verdictClass(r.rec), verdictName(r.rec))}</td>
                      <td>${r.result}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}
