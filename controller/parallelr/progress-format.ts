import type { TaskRecord } from './types.js';

/** What the status line shows, the same for local and fleet runs. */
export interface ProgressCounts {
  total: number;
  done: number;
  ok: number;
  failed: number;
  running: number;
  /** Tasks done when this process started (a resumed fleet run): left out of the rate. */
  doneAtStart: number;
  startedAt: number;
}

export function newCounts(total: number, alreadyDone = 0): ProgressCounts {
  return { total, done: alreadyDone, ok: 0, failed: 0, running: 0, doneAtStart: alreadyDone, startedAt: Date.now() };
}

/** Counts a finished task as ok or failed (a cancelled one is neither). */
export function countFinished(c: ProgressCounts, status: TaskRecord['status']): void {
  c.done++;
  if (status === 'SUCCESS') c.ok++;
  else if (status !== 'CANCELLED') c.failed++;
}

const BAR_WIDTH = 30;
const MIN_BAR_WIDTH = 5;

/**
 * `[####----] 2/4 ok 1 failed 1 running 2 | 0.5/s | ETA 00:04` and an optional tail (the fleet's agents),
 * for a line of `width` columns: the bar shrinks (or goes) first, the tail is what gets cut.
 */
export function formatProgressLine(c: ProgressCounts, width: number, tail = ''): string {
  const elapsed = (Date.now() - c.startedAt) / 1000;
  const rate = elapsed > 0 ? (c.done - c.doneAtStart) / elapsed : 0;
  const eta = rate > 0 ? (c.total - c.done) / rate : NaN;
  const counts = `${c.done}/${c.total} ok ${c.ok} failed ${c.failed} running ${c.running} | ${rate.toFixed(1)}/s | ETA ${formatEta(eta)}`;
  const barWidth = Math.min(BAR_WIDTH, width - counts.length - tail.length - 3);
  if (barWidth < MIN_BAR_WIDTH) return counts + tail;
  const fill = Math.round((c.total ? Math.min(1, c.done / c.total) : 1) * barWidth);
  return `[${'#'.repeat(fill)}${'-'.repeat(barWidth - fill)}] ${counts}${tail}`;
}

/**
 * The plain line for a finished task when there is no terminal: a failed tasker file also shows the
 * failing task's own exit code, and a refused one the reason (the first diagnostics) below it.
 */
export function formatFinishedLine(record: TaskRecord, index: number, c: ProgressCounts, where = ''): string {
  const task = record.task_exit_code === undefined ? '' : ` (task exit ${record.task_exit_code})`;
  const code = record.exit_code === null ? '' : ` exit ${record.exit_code}${task},`;
  const name = record.task_file ?? record.arguments.join(' ');
  return `[${index}/${c.total}] ${record.status}:${code} ${record.duration_seconds.toFixed(2)}s ${name}${where} (${c.done}/${c.total} done)\n${reasonLines(record)}`;
}

/** Whether a finished task's line says more than its status: a failed tasker file's task exit code or reason (shown on a terminal too). */
export function hasFailureDetail(record: TaskRecord): boolean {
  return record.task_exit_code !== undefined || reasonLines(record) !== '';
}

/** The diagnostics of `Exit code 20: …` (failure-detail.ts, one per line) indented under the task's line. */
function reasonLines(record: TaskRecord): string {
  if (record.status !== 'FAILED' || record.exit_code === null) return '';
  const prefix = `Exit code ${record.exit_code}: `;
  if (!record.error_message.startsWith(prefix)) return '';
  return record.error_message.slice(prefix.length).split('\n').map((l) => `    ${l}\n`).join('');
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
