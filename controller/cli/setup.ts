/** What a tasker run has settled before it executes: options, the checked workflow and its helpers. */
import type { CliIo } from '../../shared/cli-io.js';
import type { ExecTypeRegistry } from '../../shared/exec/index.js';
import type { Diagnostic } from '../../shared/taskfile/diagnostics.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import type { RunLog } from '../../core/engine/run-log.js';
import type { TaskerArgs } from '../../core/run/index.js';

export interface Setup {
  args: TaskerArgs;
  io: CliIo;
  taskFile: string;
  text: string;
  workflow: Workflow;
  diagnostics: Diagnostic[];
  registry: ExecTypeRegistry;
  config: { path?: string; data: Record<string, unknown>; positionOf?: (p: readonly (string | number)[]) => { line: number; col: number } | undefined };
  defaultExecType: string;
  defaultTimeoutSec: number;
  base: string;
  log: RunLog;
  secrets: string[];
  canonicalExecType: (name: string) => string | undefined;
  /**
   * A task's exec type before it runs: its `exec` (globals substituted, lower-cased) or the default,
   * and that name's canonical type (undefined when not configured). Each distinct `exec` text is
   * resolved once per run, whoever asks (large files repeat a few).
   */
  taskExecType: (task: Task) => { name: string; canonical: string | undefined };
  describeCommand: (execType: string, hostname: string, command: string, args: string) => string;
}
