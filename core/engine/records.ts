/**
 * What a run leaves on disk: the log file, a copy of the task file, the project summary row and the
 * --output-json document (SPEC §2 "logs", §3).
 */
import { createHash } from 'node:crypto';
import { closeSync, linkSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { maskSecrets } from '../../shared/taskfile/variables.js';
import { makePrivateDir, openPrivateFile, writePrivateFile } from '../../shared/private-files.js';
import { writeDocument } from '../../shared/write-document.js';
import type { RunOutcome } from './types.js';
import type { RunResult, TaskResultJson } from './run-result.js';
import { tallyHosts } from './host-recap.js';
import { attemptsJson } from './retry.js';

export function fileStem(path: string): string {
  const base = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 50);
  return base === '' ? 'task' : base;
}

export function fileTimestamp(d = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}_${p(d.getMilliseconds(), 3)}`;
}

/** Create BASE/logs/<stem>_<ts>.log exclusively (a concurrent run of the same file gets a suffix). */
export function createLogFile(base: string, taskFile: string, ts: string): string {
  return writeExclusive(join(base, 'logs'), `${fileStem(taskFile)}_${ts}`, '.log', '');
}

/** Copy the task file to BASE/tasks/<stem>_<ts>.<ext>. */
export function copyTaskFile(base: string, taskFile: string, text: string, ts: string): string {
  return writeExclusive(join(base, 'tasks'), `${fileStem(taskFile)}_${ts}`, extname(taskFile) || '.txt', text);
}

/** Create DIR/NAME.EXT (or NAME_1.EXT, …) with O_EXCL so two runs never share a file (nor a landed copy an existing one). */
export function writeExclusive(dir: string, name: string, ext: string, text: string | Buffer): string {
  makePrivateDir(dir, { tighten: true });
  for (let n = 0; ; n++) {
    const path = join(dir, `${name}${n ? `_${n}` : ''}${ext}`);
    try {
      writePrivateFile(path, text, { flag: 'wx' });
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw e;
    }
  }
}

export const SUMMARY_HEADER = ['Timestamp', 'Task_File', 'Final_Task_ID', 'Final_Hostname', 'Final_Command', 'Exit_Code', 'Status', 'Log_File'];

export interface SummaryRow {
  timestamp: string;
  taskFile: string;
  finalTask: string;
  hostname: string;
  command: string;
  exitCode: number;
  status: 'SUCCESS' | 'FAILURE';
  logFile: string;
}

export function summaryPath(base: string, project: string): string {
  return join(base, 'logs', `project_${project.replace(/[^A-Za-z0-9._-]/g, '_')}_summary.log`);
}

/** A row appendSummary wrote: the summary file, its header line and the row (without their newlines). */
export interface WrittenSummaryRow {
  path: string;
  header: string;
  row: string;
}

/**
 * Append one row. The header is created with the file atomically (write a temp file, hard-link it into
 * place: exactly one run wins), and each row is one write(2) on an O_APPEND descriptor, so concurrent
 * runs never tear or interleave a line.
 */
export function appendSummary(base: string, project: string, row: SummaryRow): WrittenSummaryRow {
  const path = summaryPath(base, project);
  makePrivateDir(join(base, 'logs'), { tighten: true });
  const clean = (s: string): string => s.replace(/[\t\r\n]+/g, ' ');
  const text = [row.timestamp, row.taskFile, row.finalTask, row.hostname, row.command, String(row.exitCode), row.status, row.logFile].map(clean).join('\t');
  const line = text + '\n';
  const header = `#${SUMMARY_HEADER.join('\t')}`;
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writePrivateFile(tmp, `${header}\n`);
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  const fd = openPrivateFile(path, 'a');
  try {
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
  return { path, header, row: text };
}

export interface JsonMeta {
  taskFile: string;
  taskText: string;
  startTime: Date;
  endTime: Date;
  logFile?: string;
  /** The `-p` project summary the run's row went to. */
  summaryFile?: string;
  /** Where `--auto-recovery` keeps the run's state (kept after it only when a rerun would resume). */
  recoveryFile?: string;
  totalTasks: number;
  warnings: string[];
  secrets: string[];
  variables: Record<string, string>;
}

export function executionId(taskText: string): string {
  return createHash('sha256').update(taskText).digest('hex').slice(0, 8);
}

export function buildJson(outcome: RunOutcome, meta: JsonMeta): RunResult {
  const mask = (s: string): string => maskSecrets(s, meta.secrets);
  const results = [...outcome.results.values()];
  const counted = results.filter((r) => !r.skipped);
  const taskResults: Record<string, TaskResultJson> = {};
  for (const r of results) {
    taskResults[r.key] = {
      exit_code: r.exitCode, stdout: mask(r.stdout), stderr: mask(r.stderr), success: r.success, timed_out: r.timedOut,
      skipped: r.skipped, duration_seconds: round(r.durationMs / 1000), hostname: r.hostname, command: mask(r.command),
      ...(r.stdoutFile ? { stdout_file: r.stdoutFile } : {}), ...(r.stderrFile ? { stderr_file: r.stderrFile } : {}),
      ...(r.attempts ? { attempts: attemptsJson(r.attempts) } : {}),
    };
  }
  const failure: Pick<RunResult['execution_summary'], 'failure_info'> = outcome.status === 'failed'
    ? { failure_info: { task_id: outcome.failedTask ?? outcome.finalTask ?? null, exit_code: outcome.exitCode, error: outcome.reason } }
    : {};
  return {
    workflow_metadata: {
      task_file: resolve(meta.taskFile), execution_id: executionId(meta.taskText), status: outcome.status, exit_code: outcome.exitCode,
      start_time: meta.startTime.toISOString(), end_time: meta.endTime.toISOString(),
      duration_seconds: round((meta.endTime.getTime() - meta.startTime.getTime()) / 1000), log_file: meta.logFile ?? null,
      summary_file: meta.summaryFile ?? null, recovery_file: meta.recoveryFile ?? null,
    },
    execution_summary: {
      total_tasks: meta.totalTasks, executed: counted.length,
      succeeded: counted.filter((r) => r.success).length, failed: counted.filter((r) => !r.success).length,
      timeouts: counted.filter((r) => r.timedOut).length,
      execution_path: outcome.executionPath, loop_iterations: outcome.loopIterations, skipped_tasks: outcome.skippedTasks,
      final_task: outcome.finalTask ?? null, ...failure,
    },
    task_results: taskResults,
    hosts: tallyHosts(outcome),
    variables: Object.fromEntries(Object.entries(meta.variables).map(([k, v]) => [k, mask(v)])),
    warnings: meta.warnings.map(mask),
    decisions: Object.fromEntries([...(outcome.decisions ?? [])].map(([key, list]) => [key, list.map((d) => ({
      ...d, text: mask(d.text), terms: d.terms.map((t) => ({ expr: mask(t.expr), values: mask(t.values), result: t.result })), route: d.route === null ? null : mask(d.route),
    }))])),
  };
}

/** The text of a JSON document as tasker writes it (--output-json). */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Write JSON where the operator says: atomically into a file, in place into a device or FIFO (shared/write-document.ts). */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeDocument(resolve(path), formatJson(value));
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
