/**
 * A `tasker` run as a typed pipeline (docs/architecture.md "The run pipeline"). The controller's
 * runTasker (controller/cli/tasker-main.ts) is runTaskerWith with its RemotePlacement.
 */
export { runTaskerWith } from './pipeline.js';
export { needsRemotePlacement, describeRemoteNeed, NO_REMOTE_PLACEMENT, type RemoteNeed } from './remote-needs.js';
export type { AgentProblem, MadeRecords, PlacedAgent, PlacedTasks, RemotePlacement, RunExecutors, RunOptions } from './remote-placement.js';
export type { ExecutorSetup } from './executor-setup.js';
export type { TaskerArgs } from '../args/index.js';
export type { ExecutedRun, LoadedRun, PreparedRun, RunRequest, ValidatedRun } from './types.js';
export type { RunOutcome } from '../engine/types.js';
export type { AttemptResult, DecisionJson, RunResult, TaskResultJson } from '../engine/run-result.js';
