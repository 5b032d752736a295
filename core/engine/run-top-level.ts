/** One top-level task's turn: its condition pre-guard, then a block, a loop, a return or a command, and its route. */
import { ExitCode, TaskExit } from '../../shared/exit-codes.js';
import { formatCondition } from '../../shared/taskfile/condition.js';
import { nextSequential } from '../../shared/taskfile/flow-analysis.js';
import type { Task } from '../../shared/taskfile/model.js';
import { retryPolicyOf } from '../../shared/taskfile/retry-policy.js';
import type { EngineRun } from './engine-run.js';
import type { BlockContext } from './engine-types.js';
import { runLoop, sleepAfter } from './loops.js';
import { runCommand } from './run-command.js';
import { describeRoute, INTERRUPTED, returnValue, returnWith, routeAfter, routeOutcome, type Route } from './routing.js';
import type { DecisionSite } from './decision-log.js';
import type { TaskResult } from './types.js';

export async function runTopLevel(run: EngineRun, task: Task): Promise<Route> {
  const { opts, outcome } = run;
  const id = task.id;
  // Pre-guard: a false `condition` skips the task.
  if (task.condition && task.type !== 'conditional' && !run.evaluate(task.condition, undefined, undefined, preGuard(run, task))) return skipTask(run, task);
  outcome.executionPath.push(id);
  if (task.returnCode !== undefined && !task.command && task.type === 'task') return returnWith(run, task);
  if (task.type !== 'task') return runBlockTask(run, task);
  if (task.next?.kind === 'loop') return runLoop(run, task);

  const result = await runCommand(run, task, String(id), opts.signal, { startAhead: true, policy: retryPolicyOf(task) });
  await sleepAfter(run, task, String(id));
  if (opts.signal?.aborted && !(await run.ahead.startedFor())) return INTERRUPTED;
  if (task.returnCode !== undefined) return returnWith(run, task);
  return routeAfter(run, task, result);
}

/** The `condition=` pre-guard as a decision: run the task, or skip to the next one. */
function preGuard(run: EngineRun, task: Task): DecisionSite {
  return { kind: 'condition', key: String(task.id), route: (ok) => (ok ? 'run the task' : `skip → ${describeRoute(run, { kind: 'goto', id: nextSequential(run.wf, task.id), why: '' })}`) };
}

function skipTask(run: EngineRun, task: Task): Route {
  const id = task.id;
  run.log.info(`Task ${id}: Condition '${formatCondition(task.condition!)}' is FALSE, skipping task`);
  const r: TaskResult = { key: String(id), exitCode: TaskExit.NOT_RUN, stdout: '', stderr: 'Task skipped due to condition', success: false, timedOut: false, skipped: true, durationMs: 0, hostname: run.store.resolve(task.hostname), command: '' };
  run.outcome.results.set(String(id), r);
  run.store.byId.set(id, r);
  run.outcome.skippedTasks.push(id);
  return { kind: 'goto', id: nextSequential(run.wf, id), why: 'skipped, continuing with the next task' };
}

/** A parallel, conditional or decision block, run by the block runner (blocks.ts). */
async function runBlockTask(run: EngineRun, task: Task): Promise<Route> {
  const { opts, log } = run;
  const id = task.id;
  if (!opts.runBlock) return { kind: 'end', exitCode: ExitCode.VALIDATION_FAILED, status: 'failed', why: `task ${id}: ${task.type} blocks cannot run here` };
  log.info(task.type === 'decision' ? `Task ${id}: DECISION - Evaluating conditions` : `Task ${id}: Starting ${task.type} execution`);
  const block = await opts.runBlock(task, blockContextOf(run));
  run.outcome.results.set(String(id), block.result);
  run.store.byId.set(id, block.result);
  if (block.stop) return { kind: 'end', exitCode: returnValue(run, task) ?? ExitCode.SUCCESS, status: 'success', why: `${task.type} block stops the workflow (next=never)` };
  if (task.returnCode !== undefined) return returnWith(run, task);
  // A false decision without on_failure carries on with the next task (the peer's semantics).
  if (task.type === 'decision' && !block.passed && task.onFailure === undefined) return { kind: 'goto', id: nextSequential(run.wf, id), why: 'decision false, next task' };
  return routeOutcome(run, task, block.passed, `${task.type} outcome ${block.passed ? 'true' : 'false'}`);
}

/** What a block runner gets: sub-tasks run like the engine runs tasks, with their own retry policy by default. */
function blockContextOf(run: EngineRun): BlockContext {
  const { wf, store, log, outcome, opts } = run;
  return {
    workflow: wf, store, log, outcome, signal: opts.signal, evaluate: run.evaluate, decisions: run.decisions,
    runTask: (task, key, o) => runCommand(run, task, key, o?.signal ?? opts.signal, { capTimeoutSec: o?.timeoutSec, policy: o?.retry ?? retryPolicyOf(task), form: 'sub-task' }),
  };
}
