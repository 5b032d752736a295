/** Pages of a run log: 200 lines from a byte offset, optionally only one task's lines, masked. */
import { statSync } from 'node:fs';
import { html, type Markup } from '../html.js';
import { scanLines } from '../scan-lines.js';

export const LOG_PAGE_LINES = 200;
/** A page filtered by task reads at most this far before it stops and offers the next page. */
const PAGE_SCAN_BYTES = 32 << 20;

export interface LogPageOptions {
  from: number;
  task?: string;
  mask: (s: string) => string;
  /** Base of the links to the next page (`/run/ID/log`). */
  href?: string;
}

/** Whether a log line belongs to task `key` (`Task 3:`, its loop iterations `Task 3.2:`, a block's `Task 3-401:`). */
function matcher(key: string | undefined): (line: string) => boolean {
  if (!key) return () => true;
  const re = new RegExp(`\\] (?:ERROR: |WARN: |DEBUG: )?Task ${key.replace(/[.]/g, '\\.')}(?:[.-]\\d+)?:`);
  return (line) => re.test(line);
}

export function readLogPage(path: string, opts: LogPageOptions): Markup {
  const lines: string[] = [];
  const wanted = matcher(opts.task);
  let next = opts.from;
  let more = false;
  try {
    scanLines(path, opts.from, PAGE_SCAN_BYTES, (line, after) => {
      if (wanted(line)) {
        if (lines.length >= LOG_PAGE_LINES) {
          more = true;
          return false;
        }
        lines.push(line);
      }
      next = after;
      return true;
    });
    if (!more && next < statSync(path).size) more = true;
  } catch {
    return html`<p class="note">The log cannot be read.</p>`;
  }
  const q = new URLSearchParams({ from: String(next) });
  if (opts.task) q.set('task', opts.task);
  const first = new URLSearchParams(opts.task ? { task: opts.task } : {});
  const href = opts.href ?? '';
  return html`<pre class="log" data-from="${opts.from}">${lines.map((l) => opts.mask(l) + '\n')}</pre>
<p class="pages">${opts.from > 0 ? html`<a href="${href}?${first.toString()}">first page</a> · ` : ''}${more ? html`<a class="next" href="${href}?${q.toString()}">next ${LOG_PAGE_LINES} lines →</a>` : html`<span>end of log</span>`}</p>`;
}
