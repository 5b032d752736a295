/**
 * Where a local run of the command template keeps a task file's records that an option of the
 * template places (docs/nats.md "Records back"), so a distributed file's land in the same places:
 * - the `--auto-recovery` state: the template's `--recovery-file FILE`, else BASE/recovery/…;
 * - the template's own `--output-json`: superseded on the agent (the agent's, appended, wins), the
 *   document comes back with the records whatever the outcome and is written here where the
 *   local run would have written it, naming this side's paths (task file, log, summary, state).
 * Relative paths are taken from the file's workspace, the working directory its local task has:
 * parallelr's workspace, or with `execution.workspace_isolation` the task's own
 * `pid<PID>_task<N>` directory under it; `@TASK@` in the template is the file's path on this side.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { splitArgs, taskerArguments } from '../../shared/exec/index.js';
import { fileStem, fileTimestamp, summaryPath, writeJsonAtomic } from '../../core/engine/records.js';
import { recoveryPath } from '../../core/recovery/index.js';
import { parseTaskerArgs, type TaskerArgs } from '../../core/args/index.js';
import type { RunResult } from '../../core/run/index.js';

/** A state file, and whether its folder is TASKER's own (BASE/recovery, kept 0700) or one the operator named. */
export interface KeptState {
  path: string;
  ownDir: boolean;
}

export interface LocalPaths {
  /** The tasker base the records land under. */
  base: string;
  /** The template names its own `--output-json`: a shipped document is written here (writeOwnJson). */
  namesJson: boolean;
  /** Where the `--auto-recovery` state of `taskPath` is kept (`ownDir`: under BASE/recovery, TASKER's own folder). */
  recoveryFile(taskPath: string): KeptState;
  /** Where the template's own `--output-json` puts the document of `taskPath`'s run started at `startTime`; undefined when it names none. */
  ownJson(taskPath: string, startTime: Date): string | undefined;
}

/** Where the records of each task file of a run land, by its seq; `describeBase` for the run's main log. */
export interface FilePaths {
  of(seq: number): LocalPaths;
  describeBase(): string;
}

/**
 * The local paths of each file of a run of `command` (undefined when it does not run tasker):
 * with `workspace.isolated` each file's relative paths are its own task directory's, as a local
 * run's (controller/parallelr/run-one-task.ts), named by this controller's pid.
 */
export function filePaths(command: string, env: NodeJS.ProcessEnv, workspace: { dir: string; isolated: boolean; pid: number }): FilePaths | undefined {
  const template = taskerTemplate(command);
  if (!template) return undefined;
  const pathsIn = (dir: string) => templatePaths(template, logBaseOf(template, env, dir), dir);
  if (!workspace.isolated) {
    const paths = pathsIn(workspace.dir);
    return { of: () => paths, describeBase: () => paths.base };
  }
  const taskDir = (seq: number | string) => join(workspace.dir, `pid${workspace.pid}_task${seq}`);
  return { of: (seq) => pathsIn(taskDir(seq)), describeBase: () => logBaseOf(template, env, taskDir('<N>')) };
}

/** The local paths of a run of `command` whose tasks run in `workspace` and whose tasker records land under `base`. */
export function localPaths(command: string, base: string, workspace: string): LocalPaths {
  return templatePaths(taskerTemplate(command), base, workspace);
}

/** The tasker arguments of a command template; undefined when it does not run tasker. */
function taskerTemplate(command: string): string[] | undefined {
  const split = splitArgs(command);
  return split.error ? undefined : taskerArguments(split.args);
}

function templatePaths(template: readonly string[] | undefined, base: string, workspace: string): LocalPaths {
  const namesJson = template?.some((a) => a === '--output-json' || a.startsWith('--output-json=')) ?? false;
  const namesRecovery = template?.some((a) => a === '--recovery-file' || a.startsWith('--recovery-file=')) ?? false;
  /** The template's arguments for one file, as tasker reads them; undefined when it refuses them (then it wrote nothing either). */
  const argsFor = (taskPath: string): TaskerArgs | undefined => {
    try {
      return parseTaskerArgs(template!.map((a) => a.split('@TASK@').join(taskPath)));
    } catch {
      return undefined;
    }
  };
  return {
    base,
    namesJson,
    recoveryFile(taskPath) {
      const asked = namesRecovery ? argsFor(taskPath)?.recoveryFile : undefined;
      return asked !== undefined ? { path: resolve(workspace, asked), ownDir: false } : { path: recoveryPath(base, taskPath), ownDir: true };
    },
    ownJson(taskPath, startTime) {
      const asked = namesJson ? argsFor(taskPath)?.outputJson : undefined;
      if (asked === undefined) return undefined;
      return asked !== '' ? resolve(workspace, asked) : join(base, 'output', `${fileStem(taskPath)}_${fileTimestamp(startTime)}.json`);
    },
  };
}

/**
 * Write a shipped `--output-json` document where the template's own option puts it here, naming
 * this side's paths; returns that path, undefined when the template names no JSON. Throws when the
 * document cannot be read or written.
 */
export function writeOwnJson(text: string, paths: LocalPaths, taskPath: string, logFile: string | undefined): string | undefined {
  const doc = JSON.parse(text) as RunResult;
  const meta = doc.workflow_metadata;
  const started = new Date(meta.start_time);
  const path = paths.ownJson(taskPath, Number.isNaN(started.getTime()) ? new Date() : started);
  if (!path) return undefined;
  meta.task_file = resolve(taskPath);
  meta.log_file = logFile ?? null;
  if (typeof meta.summary_file === 'string') meta.summary_file = summaryPath(paths.base, /project_(.+)_summary\.log$/.exec(meta.summary_file)?.[1] ?? '');
  if (typeof meta.recovery_file === 'string') meta.recovery_file = paths.recoveryFile(taskPath).path;
  writeJsonAtomic(path, doc);
  return path;
}

/**
 * Where tasker writes its logs for this command on this machine: the template's last `-l`/`--log-dir`
 * (relative to parallelr's workspace, the cwd of local tasks), else $TASK_EXECUTOR_LOG, else ~/TASKER.
 * Undefined when the command does not run tasker.
 */
export function taskerLogBase(command: string, env: NodeJS.ProcessEnv, workspace: string): string | undefined {
  const template = taskerTemplate(command);
  return template && logBaseOf(template, env, workspace);
}

function logBaseOf(args: readonly string[], env: NodeJS.ProcessEnv, workspace: string): string {
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '-l' || a === '--log-dir') && args[i + 1] !== undefined) dir = args[++i];
    else if (a.startsWith('--log-dir=')) dir = a.slice('--log-dir='.length);
  }
  dir ??= env.TASK_EXECUTOR_LOG || join(env.HOME || homedir(), 'TASKER');
  const home = env.HOME || homedir();
  return resolve(workspace, dir.replace(/^~(?=$|\/)/, home));
}
