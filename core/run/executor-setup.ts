/**
 * What placing a run's tasks needs of the run (remote-placement.ts, local-placement.ts and
 * controller/executors/run-executors.ts), kept apart from types.ts, which names the executors'
 * type: no import cycle.
 */
import type { CliIo } from '../../shared/cli-io.js';
import type { ExecTypeRegistry } from '../../shared/exec/index.js';
import type { Workflow } from '../../shared/taskfile/model.js';
import type { TaskerArgs } from '../args/index.js';
import type { ExecTypes } from './exec-types.js';

/** The config file of a run (empty data when there is none). */
export interface RunConfig {
  path?: string;
  data: Record<string, unknown>;
  positionOf?: (p: readonly (string | number)[]) => { line: number; col: number } | undefined;
}

export interface ExecutorSetup {
  args: TaskerArgs;
  io: CliIo;
  workflow: Workflow;
  registry: ExecTypeRegistry;
  config: RunConfig;
  secrets: string[];
  taskExecType: ExecTypes['ofTask'];
}
