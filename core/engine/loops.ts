/** loop=N and next=loop&COND: a task run up to N+1 times as N.1, N.2 …, left early by loop_break or a false condition. */
import { setTimeout as delay } from 'node:timers/promises';
import { formatCondition } from '../../shared/taskfile/condition.js';
import { nextSequential } from '../../shared/taskfile/flow-analysis.js';
import type { Task } from '../../shared/taskfile/model.js';
import { retryPolicyOf } from '../../shared/taskfile/retry-policy.js';
import type { EngineRun } from './engine-run.js';
import { runCommand } from './run-command.js';
import { describeRoute, INTERRUPTED, returnWith, type Route } from './routing.js';
import type { TaskResult } from './types.js';

export async function runLoop(run: EngineRun, task: Task): Promise<Route> {
  const { opts, outcome, log } = run;
  const id = task.id;
  const runs = (task.loop ?? 0) + 1;
  const cond = task.next?.kind === 'loop' ? task.next.condition : null;
  let result: TaskResult | undefined;
  for (let k = 1; k <= runs; k++) {
    const key = `${id}.${k}`;
    outcome.loopIterations.push(key);
    result = await runCommand(run, task, key, opts.signal, { policy: retryPolicyOf(task) });
    outcome.results.set(String(id), { ...result, key: String(id) });
    // A loop whose break (or continue) condition says it is done moves on at once: its sleep is
    // the wait between runs. Runs used up end like a plain task, after its sleep.
    const done = task.loopBreak && run.evaluate(task.loopBreak, result, undefined, { kind: 'loop_break', key })
      ? `loop_break '${formatCondition(task.loopBreak)}' is true, leaving the loop`
      : cond && !run.evaluate(cond, result, undefined, { kind: 'loop', key }) ? `loop condition '${formatCondition(cond)}' is false, leaving the loop` : undefined;
    run.decisions.route(key, done !== undefined ? `leave the loop → ${afterLoop(run, task)}` : k < runs ? 'loop again' : `${runs} runs done → ${afterLoop(run, task)}`);
    if (done !== undefined) log.info(`Task ${key}: ${done}${task.sleep !== undefined ? ' (no sleep)' : ''}`);
    else await sleepAfter(run, task, key);
    if (opts.signal?.aborted) return INTERRUPTED;
    if (done !== undefined) break;
    if (k === runs) log.info(`Task ${id}: loop finished after ${runs} runs`);
  }
  if (task.returnCode !== undefined) return returnWith(run, task);
  return { kind: 'goto', id: task.onSuccess ?? nextSequential(run.wf, id), why: 'loop done, continuing' };
}

/** Where a finished loop goes, as a decision's route shows it. */
function afterLoop(run: EngineRun, task: Task): string {
  if (task.returnCode !== undefined) return `end (return=${run.store.resolve(task.returnCode)})`;
  return describeRoute(run, { kind: 'goto', id: task.onSuccess ?? nextSequential(run.wf, task.id), why: '' });
}

/** The task's `sleep` after it ran; a stop cuts it short (the main loop notices the abort). */
export async function sleepAfter(run: EngineRun, task: Task, key: string): Promise<void> {
  if (task.sleep === undefined) return;
  const secs = Number(run.store.resolve(task.sleep));
  if (!Number.isFinite(secs) || secs <= 0) return;
  run.log.info(`Task ${key}: Sleeping for ${secs} seconds`);
  try {
    await delay(secs * 1000, undefined, { signal: run.opts.signal });
  } catch {
    /* interrupted: the main loop notices the abort */
  }
}
