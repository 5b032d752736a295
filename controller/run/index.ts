/** A `tasker` run as a typed pipeline (docs/architecture.md "The run pipeline"). */
export { runTasker } from './pipeline.js';
export type { ExecutedRun, LoadedRun, PreparedRun, RunRequest, ValidatedRun } from './types.js';
export type { RunOutcome } from '../engine/types.js';
export type { AttemptResult, DecisionJson, RunResult, TaskResultJson } from '../engine/run-result.js';
