/** What a tasker run log tells about its run, read from its first and last few KiB only. */
import { basename } from 'node:path';
import { readHead, readTail } from './read-slice.js';
import type { RunState } from './run-summary.js';

export interface TaskerLogFacts {
  taskFile?: string;
  totalTasks?: number;
  startMs: number;
  endMs?: number;
  status: RunState;
  exitCode?: number;
  reason?: string;
}

/** A log with no end marker and no write for this long is not running any more (killed, machine lost). */
export const STALE_AFTER_MS = 20 * 60_000;

const NAME_STAMP = /_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_(\d{3})\.log$/;
const RUNNING = /\] Running (.+) \((\d+) tasks?,/;
const ENDED = /\] Workflow (completed successfully|failed): exit code (-?\d+)(?: \((.*)\))?$/;

/** The start time written into a run log's name (`name_YYYYMMDD_HHMMSS_mmm.log`, local time). */
export function startOfLogName(path: string): number | undefined {
  const m = NAME_STAMP.exec(basename(path));
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

/** Whether a file under BASE looks like a tasker run log (by name and first line). */
export function isTaskerLogName(path: string): boolean {
  return NAME_STAMP.test(basename(path)) && !basename(path).startsWith('parallelr_');
}

export function readTaskerLog(path: string, size: number, mtimeMs: number, nowMs: number): TaskerLogFacts | undefined {
  const head = readHead(path, size);
  if (!head[0]?.startsWith('=== Task Execution Start')) return undefined;
  const facts: TaskerLogFacts = { startMs: startOfLogName(path) ?? mtimeMs, status: 'running' };
  for (const line of head.slice(0, 12)) {
    if (line.startsWith('# Task file: ')) facts.taskFile = line.slice('# Task file: '.length);
    const running = RUNNING.exec(line);
    if (running) {
      facts.taskFile ??= running[1];
      facts.totalTasks = Number(running[2]);
    }
  }
  const tail = readTail(path, size);
  const ended = tail.some((l) => l.startsWith('=== Task Execution End'));
  for (let i = tail.length - 1; i >= 0; i--) {
    const m = ENDED.exec(tail[i]!);
    if (!m) continue;
    facts.status = m[1] === 'failed' ? 'failed' : 'success';
    facts.exitCode = Number(m[2]);
    facts.reason = m[3];
    break;
  }
  if (ended) {
    facts.endMs = mtimeMs;
    // A run stopped before its engine ran (validation, preflight) ends without a "Workflow" line.
    if (facts.status === 'running') facts.status = 'failed';
  } else if (nowMs - mtimeMs > STALE_AFTER_MS) {
    facts.status = 'unknown';
  }
  return facts;
}
