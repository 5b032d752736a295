/**
 * The flow engine: runs a validated Workflow task by task with the routing rules of SPEC §2.
 * It never exits the process; it returns a RunOutcome and the CLI decides what to do with it.
 * This file is the main loop; a task's turn is run-top-level.ts, routes are routing.ts, loops
 * loops.ts, commands run-command.ts, all over the run's explicit state (engine-run.ts).
 */
import type { Task } from '../../shared/taskfile/model.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { createEngineRun } from './engine-run.js';
import type { EngineOptions } from './engine-types.js';
import { describeRoute, finishRun, interruptRun } from './routing.js';
import { runTopLevel } from './run-top-level.js';
import type { RunOutcome } from './types.js';

export type { BlockContext, BlockOutcome, EngineOptions, EngineState } from './engine-types.js';
export { resolveTimeout } from './prepare-task.js';

export async function runWorkflow(opts: EngineOptions): Promise<RunOutcome> {
  const run = createEngineRun(opts);
  const { wf, log, store, outcome, ahead } = run;
  const topLevel = wf.ids.filter((id) => !wf.subtaskIds.has(id));
  let current: number | undefined = opts.resume?.next ?? opts.startFrom ?? (wf.tasks.has(0) ? 0 : topLevel[0]);
  if (current !== undefined && !wf.tasks.has(0) && opts.startFrom === undefined && !opts.resume) {
    log.warn(`No task 0; starting at the lowest task id, ${current}`);
  }
  let last: Task | undefined;
  try {
    for (;;) {
      // A next task the launcher already started when the stop came still runs through the engine,
      // which kills it at once and records it as cancelled: nothing runs unrecorded.
      if (opts.signal?.aborted && !(current !== undefined && (await ahead.startedFor(current)))) return interruptRun(outcome, opts.signal, last);
      if (current === undefined || !wf.tasks.has(current)) {
        if (current !== undefined && last && current !== last.id + 1) log.warn(`Task ${current} does not exist; the workflow ends here`);
        return finishRun(outcome, { kind: 'end', exitCode: ExitCode.SUCCESS, status: 'success', why: 'completed' }, last);
      }
      const task = wf.tasks.get(current)!;
      const route = await runTopLevel(run, task);
      // The decision that chose this route (next, success, a block's rule) is written with it.
      const explained = run.decisions.route(String(task.id), describeRoute(run, route)) && run.decisions.visible;
      if (!outcome.skippedTasks.includes(task.id) || outcome.executionPath.includes(task.id)) {
        last = task;
        outcome.finalTask = task.id;
        outcome.finalHostname = store.resolve(task.hostname) || 'localhost';
        outcome.finalCommand = store.resolve(`${task.command} ${task.arguments}`).trim();
      }
      if (opts.signal?.aborted && !(route.kind === 'goto' && (await ahead.startedFor(route.id)))) return interruptRun(outcome, opts.signal, last);
      if (route.kind === 'end') {
        opts.onCheckpoint?.(undefined, { store, outcome });
        if (route.status === 'failed') outcome.failedTask = task.id;
        return finishRun(outcome, route, last);
      }
      if (route.id > task.id + 1) {
        for (let id = task.id + 1; id < route.id; id++) if (wf.tasks.has(id) && !wf.subtaskIds.has(id) && !outcome.executionPath.includes(id)) outcome.skippedTasks.push(id);
      }
      if (!explained && (log.debugEnabled || route.id !== task.id + 1)) log.info(`Task ${task.id}: ${route.why}`);
      opts.onCheckpoint?.(route.id, { store, outcome });
      current = route.id;
    }
  } finally {
    run.decisions.flush();
    await ahead.drop('was started ahead as the next task, but the run ended');
  }
}
