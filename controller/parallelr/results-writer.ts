import { dirname } from 'node:path';
import { OPTIONAL_RECORD_KEYS, TASK_RECORD_KEYS, type TaskRecord } from './types.js';
import { makePrivateDir } from '../../shared/private-files.js';
import { openRecordFile } from '../../shared/record-file.js';

/** The record of a task that never started (cancelled by a stop, or refused before it ran). */
export function notStartedRecord(base: Pick<TaskRecord, 'session_id' | 'task_file' | 'arguments' | 'command'>, status: 'CANCELLED' | 'ERROR', error: string): TaskRecord {
  return { ...base, status, exit_code: null, start_time: null, end_time: null, duration_seconds: 0, worker: null, agent: null, error_message: error };
}

/** Appends one JSON line per task; every line is written with one write(2) so nothing is torn or lost on a crash. */
export interface ResultsWriter {
  readonly path: string;
  write(record: TaskRecord): void;
  close(): void;
}

/**
 * Opens (creating directories) a results file for appending. Should a write fail (a full disk),
 * `onLost` is told once and the run carries on without the file (shared/record-file.ts).
 */
export function openResultsWriter(path: string, onLost: (problem: string) => void): ResultsWriter {
  makePrivateDir(dirname(path));
  const file = openRecordFile(path, onLost);
  let closed = false;
  return {
    path,
    write(record) {
      if (closed) throw new Error(`results file ${path} is closed`);
      file.write(serializeRecord(record) + '\n');
    },
    close() {
      if (closed) return;
      closed = true;
      file.close();
    },
  };
}

/** The record as one JSON line with keys in contract order. */
export function serializeRecord(record: TaskRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of TASK_RECORD_KEYS) ordered[key] = record[key];
  for (const key of OPTIONAL_RECORD_KEYS) if (record[key] !== undefined) ordered[key] = record[key];
  return JSON.stringify(ordered);
}

/** Seconds with millisecond precision. */
export function durationSeconds(startMs: number, endMs: number): number {
  return Math.max(0, Math.round(endMs - startMs)) / 1000;
}
