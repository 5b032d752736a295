/**
 * Which tasks may start ahead of the running one. The next tasks of a plain sequence are started
 * by the executor the moment the one before exits with status 0 (locally the launcher starts the
 * next one; an agent gets the next two as Executes sent ahead), so tasker's own work between two
 * tasks (recording, routing, preparing) runs while the next program already runs. Only where that
 * start is certain: the task before routes on its exit status alone (no next/success/failure/
 * return/sleep), so status 0 means `on_success` or the next task; that task is a plain top-level
 * command without a condition or loop whose fields use no variables (nothing an earlier task
 * produces can change it), on the same executor. Nothing starts ahead after a program we kill,
 * nor after one that fails.
 */
import type { TaskExecutor } from '../../shared/exec/index.js';
import { nextSequential } from '../../shared/taskfile/flow-analysis.js';
import type { Task } from '../../shared/taskfile/model.js';
import type { EngineRun } from './engine-run.js';
import { prepareTask } from './prepare-task.js';
import type { AheadCandidate } from './start-ahead-queue.js';

/** The task that certainly follows `task` with status 0, when it may start ahead on `executor`. */
export function startAheadTarget(run: EngineRun, task: Task, executor: TaskExecutor): AheadCandidate | undefined {
  const { wf } = run;
  if (task.next || task.success || task.failure || task.returnCode !== undefined || task.sleep !== undefined) return undefined;
  const next = wf.tasks.get(task.onSuccess ?? nextSequential(wf, task.id));
  if (!next || next.type !== 'task' || wf.subtaskIds.has(next.id) || next.condition || next.next?.kind === 'loop' || !next.command) return undefined;
  if ([next.hostname, next.command, next.arguments, next.exec, next.timeout].some((v) => v?.includes('@'))) return undefined;
  const prepared = prepareTask(run, next, String(next.id));
  if (!prepared.execType || run.opts.executorFor(next, prepared.execType) !== executor) return undefined;
  return { key: String(next.id), task: next, prepared };
}

/** The tasks to start after the last one already started ahead, to keep `depth` of them in flight. */
export function planStartAhead(run: EngineRun, task: Task, executor: TaskExecutor, depth: number): AheadCandidate[] {
  const planned: AheadCandidate[] = [];
  for (let last = run.ahead.last?.task ?? task; run.ahead.length + planned.length < depth;) {
    const next = startAheadTarget(run, last, executor);
    if (!next) break;
    planned.push(next);
    last = next.task;
  }
  return planned;
}
