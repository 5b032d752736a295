/** Runs in progress: progress, ETA, busy slots and failures as they happen (kept current by /events). */
import { formatTime, html } from '../html.js';
import type { LiveFeed } from '../live-feed.js';
import type { RunIndex } from '../run-index.js';
import { agentLine, layout, progressBar, statusBadge } from './layout.js';

export function renderLivePage(index: RunIndex, feed: LiveFeed): string {
  const states = feed.currentStates();
  const cards = states.map((st) => {
    const run = index.get(st.id)!;
    return html`<div class="card" data-run-id="${st.id}" data-status="${st.status}">
<h3><a href="/run/${st.id}">${run.file}</a></h3>
<p><span class="status">${statusBadge(st.status)}</span> ${run.kind} · started ${formatTime(run.startMs)} · <span class="eta"></span></p>
<p class="progress-cell">${progressBar(st.done, st.total, st.failed)}</p>
<ul class="agents">${(st.agents ?? []).map((a) => html`<li>${agentLine(a)}</li>`)}</ul>
<h4>Busy slots</h4><ul class="slots">${st.slots.map((s) => html`<li><b>${s.name}</b> ${s.task}</li>`)}</ul>
<h4>Failures</h4><ul class="failures">${st.failures.map((f) => html`<li>${f}</li>`)}</ul></div>`;
  });
  const body = html`<h1>Live</h1><p class="note">Runs in progress under <code>${index.base}</code>; this page updates itself (Server-Sent Events).</p>
<div class="cards" data-live="live">${cards.length ? cards : html`<p class="note">No run in progress.</p>`}</div>`;
  return layout('Live', 'live', body);
}
