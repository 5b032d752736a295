/** The engine's contracts: what runWorkflow is given, and what a block runner gets and returns. */
import type { TaskExecutor } from '../../shared/exec/index.js';
import type { ConditionNode } from '../../shared/taskfile/condition.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import type { RetryPolicy } from '../../shared/taskfile/retry-policy.js';
import type { DecisionLog, DecisionLogOptions, DecisionSite } from './decision-log.js';
import type { RanOn } from './host-recap.js';
import type { RunLog } from './run-log.js';
import type { RunOutcome, TaskResult } from './types.js';
import type { VariableStore } from './variables.js';

export interface EngineOptions {
  workflow: Workflow;
  log: RunLog;
  runId: string;
  startFrom?: number;
  defaultExecType: string;
  defaultTimeoutSec: number;
  /** The executor a task runs on (local, an agent, ssh). */
  executorFor: (task: Task, execType: string) => TaskExecutor;
  /** Where executorFor sends a task, as named on its Executing line and in the host recap (default `local`). */
  placeOf?: (task: Task, execType: string) => RanOn;
  /** Exec type name as written (aliases allowed) → canonical name, or undefined if unknown. */
  canonicalExecType: (name: string) => string | undefined;
  /** The resolved command line shown to operators. */
  describeCommand: (execType: string, hostname: string, command: string, args: string) => string;
  fireAndForget?: boolean;
  signal?: AbortSignal;
  /** Environment for $VAR expansion in arguments. */
  env?: NodeJS.ProcessEnv;
  /** Echo live task output lines to the console (they always go to the log file). */
  liveOutput?: boolean;
  /** Resume state (auto-recovery). */
  resume?: { next: number; store: VariableStore; outcome: Pick<RunOutcome, 'results' | 'executionPath' | 'loopIterations' | 'skippedTasks'> };
  /** After each top-level task: where the run goes next (for the recovery file). */
  onCheckpoint?: (next: number | undefined, state: EngineState) => void;
  /** Runs parallel/conditional/decision blocks. */
  runBlock?: (task: Task, ctx: BlockContext) => Promise<BlockOutcome>;
  /** The host text an executor gets for a task's hostname (an inventory host's ansible_host/port/user). */
  hostTarget?: (hostname: string, execType: string) => string;
  /** Where explained decisions go (decision-log.ts); default: the log file, and the console with -d. */
  explain?: DecisionLogOptions;
}

export interface EngineState {
  store: VariableStore;
  outcome: RunOutcome;
}

/** What a block runner gets: the means to run a sub-task like the engine runs tasks. */
export interface BlockContext {
  workflow: Workflow;
  store: VariableStore;
  log: RunLog;
  outcome: RunOutcome;
  /** Runs a sub-task's command with `retry` (default: the sub-task's own policy). */
  runTask: (task: Task, key: string, opts?: { signal?: AbortSignal; timeoutSec?: number; retry?: RetryPolicy }) => Promise<TaskResult>;
  signal?: AbortSignal;
  /** `task`: whose placeholders apply (a `hostnames=` sub-task's host placeholders); `site`: the decision it makes. */
  evaluate: (node: ConditionNode, result?: TaskResult, task?: Task, site?: DecisionSite) => boolean;
  /** The run's explained decisions (aggregate rules and routes are recorded here). */
  decisions?: DecisionLog;
}

export interface BlockOutcome {
  /** The block's aggregate result (stored under the block id). */
  result: TaskResult;
  /** true → on_success/next task; false → on_failure or stop. */
  passed: boolean;
  /** A block decided to stop the workflow (next=never): exit 0. */
  stop?: boolean;
}

/** A task's command as it will run (prepare-task.ts): resolved once, used for its Executing line and request. */
export interface PreparedTask {
  /** The host as the task names it (recorded); `target` is what the executor gets. */
  hostname: string;
  target: string;
  command: string;
  /** The exec value as written (after substitution), for the "not configured" message. */
  execName: string;
  /** Canonical exec type, or undefined when it is not configured. */
  execType: string | undefined;
  args: string;
  /** The command line shown to operators. */
  shown: string;
  timeoutSec: number;
}
