/** A tasker run: its graph with the path taken, a timeline of its tasks, their output and decisions. */
import { maskSecrets } from '../../../shared/taskfile/variables.js';
import { buildGraphModel } from '../graph-model.js';
import { highlightPath } from '../graph-highlight.js';
import { renderGraphSvg } from '../graph-svg.js';
import { formatDuration, formatTime, html, type Markup } from '../html.js';
import type { RunDetail } from '../run-detail.js';
import type { TaskView } from '../task-views.js';
import { layout, progressBar, statusBadge } from './layout.js';
import { readLogPage } from './log-page.js';

/** Output excerpts shown inline; the whole stream is in the log pages. */
const EXCERPT = 4096;

function excerpt(text: string | undefined, mask: (s: string) => string): string {
  if (!text) return '';
  return mask(text.length > EXCERPT ? `${text.slice(0, EXCERPT)}\n… (${text.length - EXCERPT} more characters in the log)` : text);
}

export function runHeader(d: RunDetail, mask: (s: string) => string): Markup {
  const r = d.run;
  return html`<h1>${r.kind === 'parallelr' ? 'parallelr session' : 'Run'} <span class="file">${mask(r.file)}</span></h1>
<dl class="facts" data-run-id="${r.id}" data-status="${r.status}">
<dt>Status</dt><dd class="status">${statusBadge(r.status)}</dd><dt>Exit code</dt><dd class="exit">${r.exitCode ?? ''}</dd>
<dt>Started</dt><dd>${formatTime(r.startMs)}</dd><dt>Duration</dt><dd class="duration">${formatDuration(r.durationSeconds)}</dd>
${r.project ? html`<dt>Project</dt><dd>${r.project}</dd>` : ''}
${r.total !== undefined && (r.kind === 'parallelr' || r.status === 'running') ? html`<dt>Progress</dt><dd class="progress-cell">${progressBar(r.done, r.total, r.failedTasks)}</dd>` : ''}
<dt>Records</dt><dd>${[r.logFile, r.jsonFile, r.resultsFile].filter(Boolean).map((p) => html`<code>${p}</code> `)}</dd></dl>`;
}

function timeline(tasks: readonly TaskView[], mask: (s: string) => string): Markup {
  const total = tasks.reduce((s, t) => s + (t.durationSeconds ?? 0), 0) || 1;
  let offset = 0;
  const rows = tasks.map((t) => {
    const left = (offset / total) * 100;
    const width = Math.max(0.5, ((t.durationSeconds ?? 0) / total) * 100);
    offset += t.durationSeconds ?? 0;
    const state = t.skipped ? 'skipped' : t.success === false ? 'failed' : 'ok';
    return html`<tr class="${state}" data-key="${t.key}"><td><a href="#task-${t.key}">Task ${t.key}</a></td><td class="cmd"><code>${mask(t.command)}</code></td>
<td>${t.hostname ?? ''}</td><td class="exit">${t.exitCode ?? ''}${t.timedOut ? ' (timeout)' : ''}</td><td>${formatDuration(t.durationSeconds)}</td>
<td class="lane"><span class="span ${state}" style="margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></td></tr>`;
  });
  return html`<table class="timeline"><thead><tr><th>Task</th><th>Command</th><th>Host</th><th>Exit</th><th>Duration</th><th>Timeline</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function taskDetails(d: RunDetail, t: TaskView, mask: (s: string) => string): Markup {
  return html`<details id="task-${t.key}" class="task" ${t.success === false ? html`open` : ''}><summary>Task ${t.key} · exit ${t.exitCode ?? '?'} · <code>${mask(t.command)}</code></summary>
${t.decisions.length ? html`<div class="decisions"><h4>Decisions</h4><ul>${t.decisions.map((x) => html`<li>${x.kind ? html`<span class="kind">${x.kind}</span> ` : ''}${mask(x.text)}${x.route ? html` <span class="route">→ ${mask(x.route)}</span>` : ''}</li>`)}</ul></div>` : ''}
${t.stdout ? html`<h4>stdout</h4><pre class="stdout">${excerpt(t.stdout, mask)}</pre>` : ''}${t.stderr ? html`<h4>stderr</h4><pre class="stderr">${excerpt(t.stderr, mask)}</pre>` : ''}
${d.run.logFile ? html`<p><a href="/run/${d.run.id}/log?task=${t.key.replace(/#\d+$/, '')}">log lines of task ${t.key}</a></p>` : ''}</details>`;
}

export function renderRunPage(d: RunDetail): string {
  const mask = (s: string) => maskSecrets(s, d.secrets);
  let graph: Markup = html`<p class="note">No graph: the copy of the task file (BASE/tasks/) was not found.</p>`;
  if (d.workflow) {
    const model = buildGraphModel(d.workflow);
    graph = renderGraphSvg(model, highlightPath(model, d), mask);
  }
  const log = d.run.logFile ? readLogPage(d.run.logFile, { from: 0, mask, href: `/run/${d.run.id}/log` }) : undefined;
  const body = html`${runHeader(d, mask)}
${d.failure ? html`<p class="failure">${mask(d.failure)}</p>` : ''}
${d.warnings.length ? html`<ul class="warnings">${d.warnings.map((w) => html`<li>${mask(w)}</li>`)}</ul>` : ''}
<section><h2>Workflow</h2><p class="legend"><span class="ok">ran</span> <span class="failed">failed</span> <span class="skipped">skipped</span> <span class="not-run">not run</span> <span class="taken">path taken</span></p><div class="graph-wrap">${graph}</div></section>
<section><h2>Timeline</h2>${d.tasks.length ? timeline(d.tasks, mask) : html`<p class="note">No task ran.</p>`}</section>
<section><h2>Tasks</h2>${d.tasks.map((t) => taskDetails(d, t, mask))}</section>
${log ? html`<section><h2>Log</h2>${log}</section>` : ''}`;
  return layout(`Run ${d.run.file}`, undefined, body);
}
