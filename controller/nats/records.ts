/** Results from NATS as parallelr records (the local results-file format), and what a results file already holds. */
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import type { EarlierRun, ResultMessage } from '../../shared/nats/index.js';
import { notStartedRecord, serializeRecord } from '../parallelr/index.js';
import type { TaskRecord } from '../parallelr/index.js';
import { describeTaskerFailure } from '../parallelr/index.js';
import { cancelMessage } from '../parallelr/index.js';
import { CANCEL_EXIT_CODES, cancelExitCode } from '../../shared/exec/index.js';
import type { CancelCause, RunState } from './run-state.js';
import type { Landed } from './land-records.js';

/** The record of a result; times in UTC (`Z`), as the agents sent them; `landed` adds the tasker records' fields. */
export function toRecord(r: ResultMessage, runId: string, landed: Landed = {}): TaskRecord {
  // A job an agent dropped unrun after the cancel is recorded like one that never left the queue.
  const neverRan = r.status === 'CANCELLED' && r.command_executed === '';
  return {
    session_id: runId,
    task_file: r.task_file,
    arguments: [],
    command: r.command_executed,
    status: r.status,
    exit_code: r.exit_code,
    start_time: neverRan ? null : utcTime(r.start_time),
    end_time: neverRan ? null : utcTime(r.end_time),
    duration_seconds: r.duration_seconds,
    worker: neverRan ? null : r.worker,
    agent: neverRan ? null : r.agent,
    error_message: describeTaskerFailure(r.error_message, r.status, landed),
    ...(r.earlier_runs?.length ? { runs: 1 + r.earlier_runs.length, rerun_cause: describeEarlierRuns(r.earlier_runs) } : {}),
    ...(landed.logFile ? { log_file: landed.logFile } : {}),
    ...(landed.failedTask !== undefined ? { failed_task: landed.failedTask, task_exit_code: landed.taskExitCode ?? null } : {}),
    ...(landed.note ? { records_note: landed.note } : {}),
  };
}

/**
 * A CANCELLED record as local parallelr writes it for the same stop (run-spawned-task.ts,
 * run-in-process-task.ts): the message names the cause, and a job that was running gets the exit
 * code local gives it: 130/143 after SIGINT/SIGTERM; after a stop limit, 143 for a tasker file run
 * in-process (its engine is stopped as by SIGTERM) and 125 for a started process. Only the
 * controller knows the cause (agents get a cancel, not the signal); a job that never started keeps
 * null, as locally. A resumed run reads the cause from its state file (older ones: 125, "cancelled").
 */
export function asLocalCancel(rec: TaskRecord, cause: CancelCause | undefined, inProcessTasker: boolean): TaskRecord {
  if (rec.status !== 'CANCELLED') return rec;
  const local = { ...rec, error_message: cancelMessage(cause) };
  if (rec.start_time !== null && rec.exit_code === null) {
    local.exit_code = cause === 'STOP_LIMIT' && inProcessTasker ? CANCEL_EXIT_CODES.SIGTERM : cancelExitCode(cause);
  }
  return local;
}

/** `agent a1 was lost mid-job (…); agent a2 …`: why a job ran again, for records and the summary. */
export function describeEarlierRuns(earlier: readonly EarlierRun[]): string {
  return earlier.map((e) => e.cause).join('; ');
}

export function notRunRecord(state: RunState, seq: number, status: 'CANCELLED' | 'ERROR', error: string): TaskRecord {
  const file = state.files[seq - 1]!;
  return notStartedRecord({ session_id: state.runId, task_file: file.taskFile, arguments: [], command: state.command.split('@TASK@').join(file.path) }, status, error);
}

function utcTime(iso: string): string | null {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * A record's identity for resume: without what landing its records adds, because a resumed run
 * finds the records of results written before the crash already landed and purged.
 */
export function recordKey(r: TaskRecord): string {
  const { log_file: _l, failed_task: _f, task_exit_code: _c, records_note: _n, ...rest } = r;
  return serializeRecord({ ...rest, error_message: rest.error_message.replace(/: task \S+ (?:exited -?\d+|failed)$/, '') });
}

/** Whether `rec` is one of the rows `written` still holds (readWrittenKeys); if so, that row is used up. */
export function takeWritten(written: Map<string, number>, rec: TaskRecord): boolean {
  if (written.size === 0) return false;
  const key = recordKey(rec);
  const left = written.get(key);
  if (left) written.set(key, left - 1);
  return Boolean(left);
}

/** The records already in a results file, as a multiset of their serialised form. */
export function readWrittenKeys(path: string): Map<string, number> {
  const keys = new Map<string, number>();
  for (const r of readWrittenRecords(path)) {
    const key = recordKey(r);
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  return keys;
}

/** The records in a results file, in file order (a torn last line is cut off the file and skipped). */
export function readWrittenRecords(path: string): TaskRecord[] {
  if (!existsSync(path)) return [];
  let text = readFileSync(path, 'utf8');
  if (text && !text.endsWith('\n')) {
    // The crash tore the last line: drop it so the next append starts on a line of its own.
    text = text.slice(0, text.lastIndexOf('\n') + 1);
    truncateSync(path, Buffer.byteLength(text));
  }
  const records: TaskRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      records.push(JSON.parse(line) as TaskRecord);
    } catch {
      // a torn line from the crash: that record will be written again
    }
  }
  return records;
}
