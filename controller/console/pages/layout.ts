/** The frame every page shares: title, navigation, the stylesheet and the live script. */
import { html, type Markup } from '../html.js';
import type { AgentLoad } from '../live-progress.js';

export type Section = 'runs' | 'live' | 'fleet';

export function layout(title: string, section: Section | undefined, body: Markup): string {
  const nav = (s: Section, href: string, label: string) => html`<a href="${href}" class="${s === section ? 'current' : ''}">${label}</a>`;
  return '<!doctype html>\n' + html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · tasker-ui</title><link rel="stylesheet" href="/assets/console.css"><script defer src="/assets/console.js"></script></head>
<body><header><strong>TASKER</strong> console <nav>${nav('runs', '/', 'Runs')}${nav('live', '/live', 'Live')}${nav('fleet', '/fleet', 'Fleet')}</nav>
<span id="live-state" title="live updates">●</span></header><main>${body}</main></body></html>`.text;
}

export function statusBadge(status: string): Markup {
  return html`<span class="badge ${status}">${status}</span>`;
}

/** A progress bar for a run in progress (or finished with counts). */
export function progressBar(done: number | undefined, total: number | undefined, failed = 0): Markup {
  if (total === undefined || total <= 0) return html``;
  const d = Math.min(done ?? 0, total);
  const pct = Math.round((d / total) * 100);
  return html`<span class="progress"><span class="bar" style="width:${pct}%"></span><span class="label"><span class="done">${d}</span>/${total}${failed ? html` · <span class="failed">${failed} failed</span>` : ''}</span></span>`;
}

/** `w1: 2/4 busy, load 0.52` (the client script writes the same text on updates). */
export function agentLine(a: AgentLoad): string {
  return `${a.name}: ${a.busy}${a.max ? `/${a.max}` : ''} busy${a.load !== undefined ? `, load ${a.load.toFixed(2)}` : ''}`;
}
