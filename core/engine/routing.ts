/**
 * Where the run goes after a task (docs/task-files.md "Flow control"): next=never/always/COND,
 * success → on_success or the next task, failure → on_failure, --fire-and-forget or a stop with
 * exit 10, return=N; and how a finished or interrupted run's outcome is written.
 */
import { ExitCode } from '../../shared/exit-codes.js';
import { formatCondition } from '../../shared/taskfile/condition.js';
import { nextSequential } from '../../shared/taskfile/flow-analysis.js';
import type { Task } from '../../shared/taskfile/model.js';
import type { EngineRun } from './engine-run.js';
import type { RunOutcome, TaskResult } from './types.js';

export type EndRoute = { kind: 'end'; exitCode: number; status: 'success' | 'failed'; why: string };
export type Route = { kind: 'goto'; id: number; why: string } | EndRoute;

/** Returned once the run's signal aborted; the main loop then writes the outcome with {@link interruptRun}. */
export const INTERRUPTED: EndRoute = { kind: 'end', exitCode: ExitCode.SIGINT, status: 'failed', why: 'interrupted' };

/** The route after a command task ran, from its `next` (or its success). */
export function routeAfter(run: EngineRun, task: Task, result: TaskResult): Route {
  const next = task.next;
  if (next?.kind === 'never') {
    const code = returnValue(run, task) ?? 0;
    return { kind: 'end', exitCode: code, status: code === 0 ? 'success' : 'failed', why: 'next=never' };
  }
  if (next?.kind === 'always') return { kind: 'goto', id: task.onSuccess ?? nextSequential(run.wf, task.id), why: 'next=always' };
  if (next?.kind === 'condition') {
    const ok = run.evaluate(next.condition, result, undefined, { kind: 'next', key: String(task.id) });
    return routeOutcome(run, task, ok, `next \`${formatCondition(next.condition)}\` → ${ok}`, true);
  }
  return routeOutcome(run, task, result.success, `success → ${result.success}`);
}

/** A route as a decision's text shows it: `task 5`, `end`, `end (exit 10)`. */
export function describeRoute(run: EngineRun, route: Route): string {
  if (route.kind === 'end') return route === INTERRUPTED ? 'end (interrupted)' : `end (exit ${route.exitCode})`;
  return run.wf.tasks.has(route.id) ? `task ${route.id}` : 'end';
}

/** ok → on_success or the next task; not ok → on_failure, fire-and-forget, or a stop (exit 10). */
export function routeOutcome(run: EngineRun, task: Task, ok: boolean, why: string, fromNext = false): Route {
  if (ok) {
    return task.onSuccess !== undefined
      ? { kind: 'goto', id: task.onSuccess, why: `${why}, jumping to Task ${task.onSuccess}` }
      : { kind: 'goto', id: nextSequential(run.wf, task.id), why: `${why}, next task` };
  }
  if (task.onFailure !== undefined) return { kind: 'goto', id: task.onFailure, why: `${why}, jumping to Task ${task.onFailure}` };
  if (run.opts.fireAndForget && !fromNext && task.type === 'task') {
    run.log.warn(`Task ${task.id}: failed; --fire-and-forget continues with the next task`);
    return { kind: 'goto', id: nextSequential(run.wf, task.id), why: `${why}, fire-and-forget` };
  }
  const r = run.outcome.results.get(String(task.id));
  const detail = r ? ` (exit code ${r.exitCode}${r.timedOut ? ', timed out' : ''})` : '';
  run.log.error(`Task ${task.id}: ${why}; no route for the failure, stopping${detail}`);
  return { kind: 'end', exitCode: ExitCode.TASK_FAILED, status: 'failed', why: `task ${task.id} failed${detail}` };
}

/** The task's `return` value after substitution, as an exit code (mod 256), or undefined when not a whole number. */
export function returnValue(run: EngineRun, task: Task): number | undefined {
  if (task.returnCode === undefined) return undefined;
  const v = run.store.resolve(task.returnCode).trim();
  return /^-?\d+$/.test(v) ? ((Number(v) % 256) + 256) % 256 : undefined;
}

/** End the run with the task's `return` value (exit 12 when it is not a whole number). */
export function returnWith(run: EngineRun, task: Task): Route {
  const code = returnValue(run, task);
  if (code === undefined) {
    run.log.error(`Task ${task.id}: return value '${run.store.resolve(task.returnCode!)}' is not a whole number`);
    return { kind: 'end', exitCode: ExitCode.RETURN_NOT_INTEGER, status: 'failed', why: 'return value is not a number' };
  }
  run.log.info(`Task ${task.id}: Returning with exit code ${code}`);
  return { kind: 'end', exitCode: code, status: code === 0 ? 'success' : 'failed', why: `return=${code}` };
}

/** The outcome of a run that ended by a route. */
export function finishRun(outcome: RunOutcome, route: EndRoute, last?: Task): RunOutcome {
  outcome.exitCode = route.exitCode;
  outcome.status = route.status;
  outcome.reason = route.why;
  if (last) outcome.finalTask = last.id;
  return outcome;
}

/** The outcome of a run stopped by SIGINT or SIGTERM. */
export function interruptRun(outcome: RunOutcome, signal: AbortSignal, last: { id: number } | undefined): RunOutcome {
  const which = signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
  outcome.interrupted = which;
  outcome.exitCode = which === 'SIGTERM' ? ExitCode.SIGTERM : ExitCode.SIGINT;
  outcome.status = 'failed';
  outcome.reason = `interrupted by ${which}`;
  if (last) outcome.finalTask = last.id;
  return outcome;
}
