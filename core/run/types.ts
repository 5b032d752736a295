/**
 * The typed stages of one `tasker` run (docs/architecture.md "The run pipeline"):
 * load → validate → preflight → execute → record. Each stage takes the previous stage's value and
 * returns the next, or a `RunExit` when the run ends there.
 */
import type { CliIo } from '../../shared/cli-io.js';
import type { ExecTypeRegistry } from '../../shared/exec/index.js';
import type { Diagnostic } from '../../shared/taskfile/diagnostics.js';
import type { Workflow } from '../../shared/taskfile/model.js';
import type { TaskFileAst } from '../../shared/taskfile/ast.js';
import type { Inventory } from '../../shared/inventory/index.js';
import type { RunLog } from '../engine/run-log.js';
import type { RunOutcome } from '../engine/types.js';
import type { RunExecutors, RunOptions } from './remote-placement.js';
import type { TaskerArgs } from '../args/index.js';
import type { ExecTypes } from './exec-types.js';
import type { RunConfig } from './executor-setup.js';

export type { RunConfig };

/** The run ends before the engine: the exit code, nothing recorded. */
export interface RunExit {
  exitCode: number;
}

/** The command line, parsed (`explicit`: the options given there, which the file's options never override). */
export interface RunRequest {
  args: TaskerArgs;
  explicit: Set<keyof TaskerArgs>;
}

/** Stage 1: the task file read and parsed, its own options merged under the command line. */
export interface LoadedRun {
  args: TaskerArgs;
  io: CliIo;
  /** Absolute path of the task file. */
  taskFile: string;
  text: string;
  ast: TaskFileAst;
  /** Parser diagnostics and those of the file's options; validation adds its own. */
  diagnostics: Diagnostic[];
  log: RunLog;
}

/** Stage 2: config loaded, the workflow built and checked, every default decided. */
export interface ValidatedRun extends LoadedRun {
  workflow: Workflow;
  registry: ExecTypeRegistry;
  config: RunConfig;
  /** Exec type names resolved once per run, for every stage. */
  execTypes: ExecTypes;
  defaultTimeoutSec: number;
  /** Where logs, task copies, the summary and JSON output go. */
  base: string;
  secrets: string[];
  /** --inventory / config `inventory:`, when given (docs/inventory.md). */
  inventory?: Inventory;
  /** The host text an executor gets for a hostname: an inventory host's ansible_host/port/user. */
  hostTarget?: (hostname: string, execType: string) => string;
  /** Where host validation looks a hostname up and pings it: an inventory host's ansible_host. */
  hostAddress?: (hostname: string) => string;
  /** RunOptions.onRecords: the record stage hands it what it made. */
  onRecords?: RunOptions['onRecords'];
  /** RunOptions.onRecoveryFile. */
  onRecoveryFile?: RunOptions['onRecoveryFile'];
  /** The recovery file, once looked for (recoveryFileOf in recovery.ts). */
  recoveryFile?: string;
}

/** Validation failed in this phase: the run is recorded as failed without running a task. */
export interface ValidationFailure {
  phase: string;
  exitCode: number;
}

/** Stage 3: hosts, binaries and agents checked; the executors ready. */
export interface PreparedRun {
  run: ValidatedRun;
  executors: RunExecutors;
}

/** The pre-run checks failed: the exit code and the hosts found unreachable. */
export interface PreflightFailure {
  exitCode: number;
  /** The run needs agents or SSH and was handed back to the caller (RunOptions.onRemoteNeeds): record nothing. */
  handedBack?: true;
  executors?: RunExecutors;
  unreachable?: RunOutcome['unreachableHosts'];
}

/** Stage 4: what the engine did, and the files the record stage names. */
export interface ExecutedRun {
  outcome: RunOutcome;
  startTime: Date;
  logFile?: string;
  /** The recovery file kept for a resume. */
  stateFile?: string;
}
