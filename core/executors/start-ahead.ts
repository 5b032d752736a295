/**
 * Start ahead: the one seam through which an executor starts the next tasks of a plain sequence
 * while the current one runs, each the moment the one before exits with status 0 on its own
 * (locally the launcher starts the next program; an agent gets the next two as Executes
 * sent ahead). tasker's own work between two tasks (recording, routing, preparing) then runs while
 * the next program already runs. The engine decides which tasks may start ahead
 * (engine/start-ahead-plan.ts) and keeps their handles (engine/start-ahead-queue.ts); an executor
 * that offers `startAhead` decides how. The common ExecRequest/ProcessResult know nothing of it.
 */
import type { ExecRequest, ProcessResult, TaskExecutor } from '../../shared/exec/index.js';

/** A task to start ahead: what its request needs, resolved once. */
export type AheadTask = Pick<ExecRequest, 'taskId' | 'execType' | 'hostname' | 'command' | 'arguments' | 'timeoutMs'>;

/** A task an executor started ahead. Only the executor that made it can run it (StartAheadRequest.taken). */
export interface StartedAhead {
  /** Whether it started: false when its predecessor did not exit 0 on its own, or a cancel came first. */
  readonly started: Promise<boolean>;
  /** Makes sure it does not run unsupervised: cancels it, and kills it when it had started. Resolves whether it had started. */
  discard(): Promise<boolean>;
}

export interface StartAheadRequest {
  /** The next tasks, in order; the first after `after`, or after this task. An executor may take fewer. */
  next: AheadTask[];
  /** The last task already started ahead (by this executor): `next` continues after it. */
  after?: StartedAhead;
  /** This task was started ahead (by this executor): supervise that run when it started. */
  taken?: StartedAhead;
}

export interface StartAheadResult {
  result: ProcessResult;
  /** The handles of the tasks taken from `next`, in order, each to pass back as `taken` on its turn. */
  started: StartedAhead[];
}

export interface StartAhead {
  /** How many tasks it can have started ahead of the running one now (0: none). */
  readonly depth: number;
  /** Run `req` as execute() does, and start the tasks of `ahead.next` after it. */
  execute(req: ExecRequest, ahead: StartAheadRequest): Promise<StartAheadResult>;
}

/** An executor that can start tasks ahead. */
export interface StartAheadExecutor extends TaskExecutor {
  readonly startAhead: StartAhead;
}

/** The executor's start-ahead seam, when it has one. */
export function startAheadOf(executor: TaskExecutor): StartAhead | undefined {
  return (executor as Partial<StartAheadExecutor>).startAhead;
}
