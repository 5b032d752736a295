import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTallies } from '../../shared/hosts/index.js';
import { buildTaskCommand } from './command.js';
import { taskerArguments, type TaskerMain } from './in-process.js';
import type { ParallelRunOptions } from './parallel-run-options.js';
import { durationSeconds } from './results-writer.js';
import { runInProcessTask } from './run-in-process-task.js';
import { runSpawnedTask } from './run-spawned-task.js';
import { collectTaskerJson, planTaskerJson } from './tasker-json.js';
import { describeTaskerFailure, type TaskerOutcome } from './tasker-outcome.js';
import type { TaskOutcome } from './task-outcome.js';
import type { OutputTail } from './task-output.js';
import type { TaskEntry, TaskRecord } from './types.js';
import { makeDirs } from '../../shared/make-dirs.js';

/** What every task of one parallel run shares. */
export interface TaskRunContext {
  options: ParallelRunOptions;
  total: number;
  env: NodeJS.ProcessEnv;
  /** The engine to run `tasker …` commands in this process, when the template runs tasker. */
  taskerMain: TaskerMain | undefined;
  stop: AbortSignal;
  /** Called when a task goes through the in-process engine. */
  onInProcess: () => void;
  onHostTallies: (h: HostTallies) => void;
}

export interface TaskRunResult {
  record: TaskRecord;
  output: { stdout: OutputTail; stderr: OutputTail };
}

const EMPTY: OutputTail = { text: '', totalBytes: 0 };

/** Builds, checks and runs one entry on worker `slot`, and returns its record (logged). */
export async function runOneTask(entry: TaskEntry, slot: number, ctx: TaskRunContext): Promise<TaskRunResult> {
  const { options, total } = ctx;
  const startMs = Date.now();
  const built = buildTaskCommand(options.template, entry, options.maxArgumentLength);
  const finish = (o: TaskOutcome, command: string) => finishTask(entry, slot, ctx, startMs, o, command);
  const failed = (error: string, command: string) => finish({ status: 'ERROR', exitCode: null, error, stdout: EMPTY, stderr: EMPTY }, command);
  if ('error' in built) return failed(built.error, '');
  if (entry.taskPath && options.maxFileSize !== undefined) {
    const size = fileSize(entry.taskPath);
    if (size === undefined) return failed(`task file not readable: ${entry.taskPath}`, built.display);
    if (size > options.maxFileSize) return failed(`task file is ${size} bytes, above advanced.max_file_size (${options.maxFileSize})`, built.display);
  }
  let cwd = options.workspace.dir;
  if (options.workspace.isolated) {
    cwd = join(options.workspace.dir, `pid${options.pid ?? process.pid}_task${entry.index}`);
    makeDirs(cwd);
  }
  options.log?.info(`[${entry.index}/${total}] worker ${slot}: ${built.display}`);
  options.progress?.started(entry, slot, built.display);
  const env = Object.keys(entry.envVars).length ? { ...ctx.env, ...entry.envVars } : ctx.env;
  const settings = {
    cwd,
    env,
    capture: options.taskOutput ? options.maxOutputCapture ?? 1000 : 0,
    timeoutSeconds: options.timeoutSeconds,
    killGraceMs: options.killGraceMs ?? 2000,
    stop: ctx.stop,
    detail: taskerArguments(built.argv) !== undefined,
  };
  const json = planTaskerJson(built.argv, cwd, options.pid ?? process.pid, entry.index);
  const argv = json?.argv ?? built.argv;
  const taskerArgv = ctx.taskerMain ? taskerArguments(argv) : undefined;
  let o: TaskOutcome;
  if (ctx.taskerMain && taskerArgv) {
    ctx.onInProcess();
    o = await runInProcessTask(ctx.taskerMain, taskerArgv, { ...settings, onHostTallies: ctx.onHostTallies });
  } else {
    o = await runSpawnedTask(argv, settings);
  }
  return finishTask(entry, slot, ctx, startMs, o, built.display, json ? collectTaskerJson(json) : {});
}

/** The task's record from its outcome, logged at a level matching its status. */
function finishTask(entry: TaskEntry, slot: number, ctx: TaskRunContext, startMs: number, o: TaskOutcome, command: string, tasker: TaskerOutcome = {}): TaskRunResult {
  const endMs = Date.now();
  // The run's own JSON names the failing task and its exit code; the console text is the fallback.
  const known = o.status === 'FAILED' && tasker.failedTask !== undefined;
  const rec: TaskRecord = {
    session_id: ctx.options.sessionId,
    task_file: entry.taskFile,
    arguments: entry.arguments,
    worker: slot,
    agent: null,
    command,
    status: o.status,
    exit_code: o.exitCode,
    start_time: new Date(startMs).toISOString(),
    end_time: new Date(endMs).toISOString(),
    duration_seconds: durationSeconds(startMs, endMs),
    error_message: known ? describeTaskerFailure(`Exit code ${o.exitCode}`, o.status, tasker) : o.error,
    ...(tasker.logFile ? { log_file: tasker.logFile } : {}),
    ...(known ? { failed_task: tasker.failedTask, task_exit_code: tasker.taskExitCode ?? null } : o.detail?.taskExitCode !== undefined ? { failed_task: o.detail.failedTask, task_exit_code: o.detail.taskExitCode } : {}),
  };
  ctx.options.log?.log(
    o.status === 'SUCCESS' ? 'INFO' : o.status === 'CANCELLED' ? 'WARNING' : 'ERROR',
    `Worker ${slot} [${entry.index}/${ctx.total}]: ${o.status}${o.exitCode === null ? '' : ` exit code ${o.exitCode}`}, ${rec.duration_seconds.toFixed(2)}s${rec.error_message ? ` (${rec.error_message.split('\n').join(' / ')})` : ''}: ${entry.taskFile ?? entry.arguments.join(' ')}${rec.log_file ? ` log ${rec.log_file}` : ''}`,
  );
  return { record: rec, output: { stdout: o.stdout, stderr: o.stderr } };
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
