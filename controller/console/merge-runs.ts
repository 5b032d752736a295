/** Turns the scanned records into runs: a log, its JSON result and its summary row are one run. */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ParallelrExit } from '../../shared/exit-codes.js';
import { processExists } from '../../shared/exec/index.js';
import { resultsOfMainLog } from './read-parallelr.js';
import type { ScannedFile } from './scan-base.js';
import { runIdOf, type RunSummary } from './run-summary.js';

export function mergeRuns(files: ReadonlyMap<string, ScannedFile>): RunSummary[] {
  const runs = new Map<string, RunSummary>();
  const claimedResults = new Set<string>();
  for (const [path, f] of files) {
    const r = f.record;
    if (r.kind === 'tasker-log') {
      const x = r.facts;
      runs.set(path, {
        id: runIdOf(path), kind: 'tasker', file: x.taskFile ?? basename(path), status: x.status, exitCode: x.exitCode,
        startMs: x.startMs, endMs: x.endMs, durationSeconds: x.endMs !== undefined ? Math.max(0, (x.endMs - x.startMs) / 1000) : undefined,
        logFile: path, total: x.totalTasks,
      });
    } else if (r.kind === 'parallelr-log') {
      const x = r.facts;
      const results = resultsOfMainLog(path);
      const tally = files.get(results);
      if (tally) claimedResults.add(results);
      const counts = tally?.record.kind === 'results' ? tally.record.tally : undefined;
      const c = x.completed;
      const status = c ? (c.failed + c.cancelled > 0 || c.succeeded < c.total ? 'failed' : 'success') : processExists(x.pid) ? 'running' : 'unknown';
      const endMs = c ? f.mtimeMs : undefined;
      runs.set(path, {
        id: runIdOf(path), kind: 'parallelr', file: x.taskPaths ? `${x.template ?? ''} [${x.taskPaths}]` : (x.template ?? basename(path)), status,
        exitCode: c ? (status === 'success' ? ParallelrExit.SUCCESS : ParallelrExit.FAILED) : undefined, startMs: x.startMs, endMs,
        durationSeconds: endMs !== undefined ? Math.max(0, (endMs - x.startMs) / 1000) : undefined,
        logFile: path, resultsFile: existsSync(results) ? results : undefined,
        done: counts?.done, total: x.total, failedTasks: counts?.failed,
      });
    }
  }
  for (const [path, f] of files) {
    const r = f.record;
    if (r.kind !== 'dist-state') continue;
    const x = r.facts;
    const results = files.get(x.resultsFile);
    const t = results?.record.kind === 'results' ? results.record.tally : undefined;
    if (results) claimedResults.add(x.resultsFile);
    const status = x.status === 'running' ? 'running' : x.status === 'cancelled' || (t?.failed ?? 0) > 0 || (t?.done ?? 0) < x.total ? 'failed' : 'success';
    const endMs = status === 'running' ? undefined : (t?.lastEndMs ?? f.mtimeMs);
    runs.set(path, {
      id: runIdOf(path), kind: 'parallelr', file: `${x.command} (NATS run ${x.runId}, pool ${x.pool})`, status, exitCode: status === 'running' ? undefined : status === 'success' ? ParallelrExit.SUCCESS : ParallelrExit.FAILED,
      startMs: x.createdMs || f.mtimeMs, endMs, durationSeconds: endMs !== undefined && x.createdMs ? Math.max(0, (endMs - x.createdMs) / 1000) : undefined,
      resultsFile: results ? x.resultsFile : undefined, stateFile: path, natsRunId: x.runId, done: t?.done ?? 0, total: x.total, failedTasks: t?.failed ?? 0,
    });
  }
  for (const [path, f] of files) {
    const r = f.record;
    if (r.kind === 'json') {
      const x = r.facts;
      const key = x.logFile && runs.has(x.logFile) ? x.logFile : path;
      const run = runs.get(key) ?? { id: runIdOf(path), kind: 'tasker', file: x.taskFile, status: x.status, startMs: x.startMs };
      Object.assign(run, { jsonFile: path, file: x.taskFile || run.file, status: x.status, exitCode: x.exitCode, startMs: x.startMs || run.startMs, endMs: x.endMs, durationSeconds: x.durationSeconds });
      runs.set(key, run);
    } else if (r.kind === 'results' && !claimedResults.has(path)) {
      const t = r.tally;
      runs.set(path, {
        id: runIdOf(path), kind: 'parallelr', file: basename(path), status: t.failed > 0 ? 'failed' : 'success', exitCode: t.failed > 0 ? ParallelrExit.FAILED : ParallelrExit.SUCCESS,
        startMs: t.firstStartMs ?? f.mtimeMs, endMs: t.lastEndMs, resultsFile: path, done: t.done, total: t.done, failedTasks: t.failed,
        durationSeconds: t.firstStartMs !== undefined && t.lastEndMs !== undefined ? (t.lastEndMs - t.firstStartMs) / 1000 : undefined,
      });
    }
  }
  for (const [path, f] of files) {
    if (f.record.kind !== 'summary') continue;
    const { project, rows } = f.record.file;
    for (const row of rows) {
      const run = runs.get(row.logFile);
      if (run) {
        run.project = project;
        continue;
      }
      const key = `${path}#${row.line}`;
      // The row's log is not under BASE (or gone): the console reads no file a record merely names.
      runs.set(key, { id: runIdOf(key), kind: 'tasker', file: row.taskFile, project, status: row.status, exitCode: row.exitCode, startMs: row.timeMs });
    }
  }
  return [...runs.values()].sort((a, b) => b.startMs - a.startMs);
}
