/** A finished command's result as the engine keeps it: output splits applied, success decided, stored. */
import type { ProcessResult } from '../../shared/exec/index.js';
import type { Task } from '../../shared/taskfile/model.js';
import type { EngineRun } from './engine-run.js';
import type { RanOn } from './host-recap.js';
import { splitCaptured } from './split-spilled.js';
import type { TaskResult } from './types.js';

type Finished = Pick<ProcessResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut' | 'durationMs'> & Partial<ProcessResult>;

export interface RecordPlace {
  hostname: string;
  /** The command line shown to operators. */
  shown: string;
  /** The task's label in log lines (an attempt's label differs from its key). */
  label: string;
  ranOn?: RanOn;
}

/** Split, evaluate success, store under `key` (and as the task's `@N_…@` result). */
export function recordResult(run: EngineRun, task: Task, key: string, r: Finished, place: RecordPlace): TaskResult {
  const { log } = run;
  const result: TaskResult = {
    key, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr,
    stdoutFile: r.stdoutFile, stderrFile: r.stderrFile,
    success: false, timedOut: r.timedOut, skipped: false, durationMs: r.durationMs, hostname: place.hostname, command: place.shown,
    ...(place.ranOn ? { ranOn: place.ranOn } : {}), ...(r.unreachable ? { unreachable: true } : {}),
  };
  // Splits apply to the whole stream; a large element stays in a spill file of its own.
  const warn = (message: string) => log.warn(`Task ${place.label}: ${message}`);
  if (task.stdoutSplit) {
    const split = splitCaptured({ text: result.stdout, file: result.stdoutFile }, task.stdoutSplit, warn);
    result.stdout = split.text;
    result.stdoutFile = split.file;
  }
  if (task.stderrSplit) {
    const split = splitCaptured({ text: result.stderr, file: result.stderrFile }, task.stderrSplit, warn);
    result.stderr = split.text;
    result.stderrFile = split.file;
  }
  if (task.success) result.success = run.evaluate(task.success, result, task, { kind: 'success', key });
  else if (task.failure) result.success = !run.evaluate(task.failure, result, task, { kind: 'failure', key });
  else {
    result.success = result.exitCode === 0;
    // With a `next`, success routes nothing: only a task that routes by it records it.
    if (!task.next && run.decisions.recordsDefaults) run.decisions.record(key, 'success', { result: result.success, terms: [{ expr: 'exit_0', values: `${result.exitCode} = 0`, result: result.success }] }, undefined, 'success (default)');
  }
  if (r.timedOut && !task.success) {
    // A timeout fails the task whatever failure= says.
    if (result.success) run.decisions.override(key, { expr: 'timed_out', values: 'the command timed out', result: task.failure !== undefined });
    result.success = false;
  }
  run.outcome.results.set(key, result);
  run.store.byId.set(task.id, result);
  log.info(`Task ${place.label}: Completed - Success: ${result.success ? 'True' : 'False'}`);
  return result;
}
