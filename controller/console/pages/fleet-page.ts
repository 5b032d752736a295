/** The fleet: configured agents (Health and Info over gRPC) and NATS workers. */
import { formatTime, html } from '../html.js';
import { HEARTBEAT_INTERVAL_MS } from '../../../shared/nats/index.js';
import type { FleetView } from '../fleet.js';
import type { WorkerRow } from '../nats-activity.js';
import { layout } from './layout.js';

/** A worker that sends heartbeats is `alive` while they come, `silent` after three missed beats. */
function workerState(w: WorkerRow): string {
  if (w.seenBy !== 'heartbeat') return 'seen';
  if (Date.now() - w.lastSeenMs > 3 * HEARTBEAT_INTERVAL_MS) return 'silent';
  return w.draining ? 'draining' : 'alive';
}

export async function renderFleetPage(fleet: FleetView | undefined): Promise<string> {
  const agents = fleet ? await fleet.agents() : [];
  const workers = fleet?.nats ? [...fleet.nats.workers.values()].sort((a, b) => a.agent.localeCompare(b.agent)) : undefined;
  const body = html`<h1>Fleet</h1>
${fleet?.problems.length ? html`<ul class="warnings">${fleet.problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
<h2>Agents (from the config)</h2>
${agents.length ? html`<table class="agents"><thead><tr><th>Agent</th><th>State</th><th>Version</th><th>Host</th><th>Running</th><th>Load</th><th>Exec types</th></tr></thead><tbody>
${agents.map((a) => html`<tr data-agent="${a.name}"><td><b>${a.name}</b><br><small>${a.address}</small></td><td class="state ${a.state === 'SERVING' ? 'ok' : 'failed'}">${a.state}${a.error ? html`<br><small>${a.error}</small>` : ''}</td>
<td>${a.version ?? ''}</td><td>${a.hostname ?? ''}</td><td>${a.running !== undefined ? `${a.running}/${a.maxConcurrent ?? '?'}` : ''}</td><td>${(a.load ?? []).map((l) => l.toFixed(2)).join(' ')}</td><td>${(a.execTypes ?? []).join(', ')}</td></tr>`)}</tbody></table>`
    : html`<p class="note">No agents in the config${fleet ? '' : ' (none read)'}: add an <code>agents:</code> section and start with <code>--config FILE</code>.</p>`}
<h2>NATS workers</h2>
${workers === undefined ? html`<p class="note">Not connected to NATS: start with <code>--nats URL</code>.</p>`
    : workers.length ? html`<table class="workers"><thead><tr><th>Worker</th><th>State</th><th>Pool</th><th>Version</th><th>Running</th><th>Load</th><th>Jobs done (seen)</th><th>Last seen</th><th>Known by</th></tr></thead><tbody>
${workers.map((w) => html`<tr data-worker="${w.agent}"><td><b>${w.agent}</b></td><td class="state">${workerState(w)}</td><td>${w.pool ?? ''}</td><td>${w.version ?? ''}</td><td class="running">${w.running}${w.max ? `/${w.max}` : ''}</td><td>${(w.load ?? []).map((l) => l.toFixed(2)).join(' ')}</td><td>${w.jobsDone}</td><td>${formatTime(w.lastSeenMs)}</td><td>${w.seenBy}</td></tr>`)}</tbody></table>`
      : html`<p class="note">No worker heard from since the console started.</p>`}`;
  return layout('Fleet', 'fleet', body);
}
