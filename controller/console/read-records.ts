/** The other records a run leaves under BASE: the --output-json document and project summary rows. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readHead, readSlice } from './read-slice.js';
import type { RunState } from './run-summary.js';

export interface JsonFacts {
  taskFile: string;
  logFile?: string;
  status: RunState;
  exitCode: number;
  startMs: number;
  endMs?: number;
  durationSeconds?: number;
}

/** JSON results larger than this are listed by their log only (the page still reads them on demand). */
export const MAX_JSON_BYTES = 32 << 20;

/** Whether a .json file is a tasker --output-json document (its first key is workflow_metadata). */
export function looksLikeRunJson(path: string, size: number): boolean {
  return readHead(path, size, 256).join('\n').replace(/\s+/g, '').startsWith('{"workflow_metadata"');
}

export function readRunJson(path: string, size: number): JsonFacts | undefined {
  if (size > MAX_JSON_BYTES || !looksLikeRunJson(path, size)) return undefined;
  let doc: { workflow_metadata?: Record<string, unknown> };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch {
    return undefined;
  }
  const m = doc.workflow_metadata;
  if (!m || typeof m !== 'object') return undefined;
  const start = Date.parse(String(m.start_time ?? ''));
  const end = Date.parse(String(m.end_time ?? ''));
  return {
    taskFile: String(m.task_file ?? ''),
    logFile: typeof m.log_file === 'string' ? m.log_file : undefined,
    status: m.status === 'success' ? 'success' : 'failed',
    exitCode: Number(m.exit_code ?? -1),
    startMs: Number.isFinite(start) ? start : 0,
    endMs: Number.isFinite(end) ? end : undefined,
    durationSeconds: typeof m.duration_seconds === 'number' ? m.duration_seconds : undefined,
  };
}

export interface SummaryRow {
  line: number;
  timeMs: number;
  taskFile: string;
  finalTask: string;
  exitCode: number;
  status: RunState;
  logFile: string;
}

export interface SummaryFile {
  project: string;
  offset: number;
  lines: number;
  rows: SummaryRow[];
}

const SUMMARY = /^project_(.+)_summary\.log$/;

/** The project a `project_NAME_summary.log` belongs to, or undefined for any other name. */
export function projectOfSummary(path: string): string | undefined {
  return SUMMARY.exec(basename(path))?.[1];
}

/** Reads the rows appended since the last call (tab-separated, header first; SPEC §2 "logs"). */
export function advanceSummary(file: SummaryFile, path: string, size: number): SummaryFile {
  if (size < file.offset) Object.assign(file, { offset: 0, lines: 0, rows: [] });
  while (file.offset < size) {
    const text = readSlice(path, file.offset, Math.min(1 << 20, size - file.offset));
    const last = text.lastIndexOf('\n');
    if (last < 0) break;
    for (const line of text.slice(0, last).split('\n')) {
      file.lines++;
      const f = line.split('\t');
      if (line.startsWith('#') || f.length < 8) continue;
      const time = Date.parse(f[0]!.replace(' ', 'T'));
      file.rows.push({
        line: file.lines, timeMs: Number.isFinite(time) ? time : 0, taskFile: f[1]!, finalTask: f[2]!,
        exitCode: Number(f[5]), status: f[6] === 'SUCCESS' ? 'success' : 'failed', logFile: f[7]!,
      });
    }
    file.offset += Buffer.byteLength(text.slice(0, last + 1));
  }
  return file;
}

/** A distributed parallelr run's state file (`<parallelr home>/runs/<run id>.json`, controller/nats/run-state.ts). */
export interface DistStateFacts {
  runId: string;
  createdMs: number;
  resultsFile: string;
  total: number;
  status: 'running' | 'cancelled' | 'done';
  command: string;
  pool: string;
}

export function readDistState(path: string, size: number): DistStateFacts | undefined {
  if (size > MAX_JSON_BYTES || !readHead(path, size, 256).join('\n').includes('"runId"')) return undefined;
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof s.runId !== 'string' || typeof s.resultsFile !== 'string' || !Array.isArray(s.files)) return undefined;
  const status = s.status === 'done' || s.status === 'cancelled' ? s.status : 'running';
  const created = Date.parse(String(s.createdAt ?? ''));
  return { runId: s.runId, createdMs: Number.isFinite(created) ? created : 0, resultsFile: s.resultsFile, total: s.files.length, status, command: String(s.command ?? ''), pool: String(s.pool ?? '') };
}
