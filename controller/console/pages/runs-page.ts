/** The runs list: every run under BASE, newest first, with filters and a link per run. */
import { formatDuration, formatTime, html, type Markup } from '../html.js';
import type { RunFilter, RunIndex } from '../run-index.js';
import type { RunSummary } from '../run-summary.js';
import { layout, progressBar, statusBadge } from './layout.js';

/** Rows per page; the benchmark (bench/console.mjs) renders a full page of 1,000 runs. */
export const PAGE_SIZE = 1000;
const STATUSES = ['', 'running', 'success', 'failed', 'unknown'] as const;

export function runRow(r: RunSummary): Markup {
  return html`<tr data-run-id="${r.id}" data-status="${r.status}">
<td class="time">${formatTime(r.startMs)}</td><td class="status">${statusBadge(r.status)}</td><td>${r.kind}</td>
<td class="file"><a href="/run/${r.id}">${r.file}</a></td><td>${r.project ?? ''}</td>
<td class="duration">${formatDuration(r.durationSeconds)}</td><td class="exit">${r.exitCode ?? ''}</td>
<td class="progress-cell">${r.kind === 'parallelr' || r.status === 'running' ? progressBar(r.done, r.total, r.failedTasks) : ''}</td></tr>`;
}

export function renderRunsPage(index: RunIndex, query: URLSearchParams): string {
  const filter: RunFilter = {
    status: (STATUSES as readonly string[]).includes(query.get('status') ?? '') ? (query.get('status') as RunFilter['status']) : '',
    project: query.get('project') ?? '',
    file: query.get('file') ?? '',
  };
  const page = Math.max(0, Math.floor(Number(query.get('page') ?? 0)) || 0);
  const matched = index.filter(filter);
  const shown = matched.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const link = (p: number) => {
    const q = new URLSearchParams(query);
    q.set('page', String(p));
    return `/?${q.toString()}`;
  };
  const options = (values: readonly string[], current: string | undefined, none: string) =>
    values.map((v) => html`<option value="${v}" ${v === current ? html`selected` : ''}>${v || none}</option>`);
  const body = html`<h1>Runs</h1>
<form class="filters" method="get" action="/">
<label>Status <select name="status">${options(STATUSES, filter.status, 'any')}</select></label>
<label>Project <select name="project">${options(['', ...index.projects()], filter.project, 'any')}</select></label>
<label>File <input name="file" value="${filter.file ?? ''}" placeholder="part of the task file"></label>
<button type="submit">Filter</button></form>
<p class="count"><span id="run-count">${matched.length}</span> run(s) under <code>${index.base}</code>${matched.length > shown.length ? html` · page ${page + 1}` : ''}</p>
<table class="runs" data-live="runs"><thead><tr><th>Started</th><th>Status</th><th>Kind</th><th>File</th><th>Project</th><th>Duration</th><th>Exit</th><th>Progress</th></tr></thead>
<tbody>${shown.map(runRow)}</tbody></table>
<p class="pages">${page > 0 ? html`<a href="${link(page - 1)}">← newer</a>` : ''} ${(page + 1) * PAGE_SIZE < matched.length ? html`<a href="${link(page + 1)}">older →</a>` : ''}</p>`;
  return layout('Runs', 'runs', body);
}
