/** A parallelr session: progress, busy workers, and its results rows (paged from the results file). */
import { formatDuration, html } from '../html.js';
import type { LiveState } from '../live-progress.js';
import type { RunSummary } from '../run-summary.js';
import { scanLines } from '../scan-lines.js';
import { runHeader } from './run-page.js';
import { agentLine, layout } from './layout.js';

const ROWS = 200;

function resultRows(path: string, from: number): { rows: Record<string, unknown>[]; next: number; more: boolean } {
  const rows: Record<string, unknown>[] = [];
  let next = from;
  let more = false;
  scanLines(path, from, 16 << 20, (line, after) => {
    if (rows.length >= ROWS) {
      more = true;
      return false;
    }
    try {
      rows.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A torn or foreign line is skipped.
    }
    next = after;
    return true;
  });
  return { rows, next, more };
}

export function renderSessionPage(run: RunSummary, live: LiveState | undefined, query: URLSearchParams): string {
  const from = Math.max(0, Number(query.get('from')) || 0);
  const results = run.resultsFile ? resultRows(run.resultsFile, from) : undefined;
  const same = (s: string) => s;
  const body = html`${runHeader({ run, secrets: [], tasks: [], executionPath: [], skipped: [], warnings: [] }, same)}
<section data-run-id="${run.id}"><h2>Now</h2><p class="eta"></p><ul class="agents">${(live?.agents ?? []).map((a) => html`<li>${agentLine(a)}</li>`)}</ul>
<h4>Busy slots</h4><ul class="slots">${(live?.slots ?? []).map((s) => html`<li><b>${s.name}</b> ${s.task}</li>`)}</ul>
<h4>Failures</h4><ul class="failures">${(live?.failures ?? []).map((f) => html`<li>${f}</li>`)}</ul></section>
<section><h2>Results</h2>${results ? html`<table class="results"><thead><tr><th>Task</th><th>Status</th><th>Exit</th><th>Duration</th><th>Worker / agent</th><th>Error</th></tr></thead><tbody>
${results.rows.map((r) => html`<tr class="${r.status === 'SUCCESS' ? 'ok' : 'failed'}"><td class="file">${String(r.task_file || (Array.isArray(r.arguments) ? r.arguments.join(' ') : ''))}</td><td>${String(r.status ?? '')}</td><td>${String(r.exit_code ?? '')}</td>
<td>${formatDuration(typeof r.duration_seconds === 'number' ? r.duration_seconds : undefined)}</td><td>${String(r.agent ?? `worker ${String(r.worker ?? '')}`)}</td><td>${String(r.error_message ?? '')}</td></tr>`)}</tbody></table>
<p class="pages">${from > 0 ? html`<a href="/run/${run.id}">first page</a> · ` : ''}${results.more ? html`<a class="next" href="/run/${run.id}?from=${results.next}">next ${ROWS} →</a>` : ''}</p>` : html`<p class="note">No results file.</p>`}</section>
${run.logFile ? html`<p><a href="/run/${run.id}/log">main log</a></p>` : ''}`;
  return layout(`parallelr ${run.file}`, undefined, body);
}
