/** Running one task's command (no routing): its request, its live output, its retries and its stored result. */
import type { ExecRequest, ProcessResult, TaskExecutor } from '../../shared/exec/index.js';
import type { Task } from '../../shared/taskfile/model.js';
import { TaskExit } from '../../shared/exit-codes.js';
import { retryPolicyOf, type RetryPolicy } from '../../shared/taskfile/retry-policy.js';
import { startAheadOf, type AheadTask, type StartedAhead } from '../executors/index.js';
import type { EngineRun } from './engine-run.js';
import { describePlace } from './host-recap.js';
import { LineSplitter } from './line-splitter.js';
import { prepareTask } from './prepare-task.js';
import { recordResult } from './record-result.js';
import { attemptLabel, firstRunLabel, runWithRetries, type Attempt, type AttemptForm } from './retry.js';
import { planStartAhead } from './start-ahead-plan.js';
import type { TaskResult } from './types.js';

const CONSOLE_ECHO_LIMIT = 1024 * 1024;

export interface CommandOptions {
  /** A block's master timeout: the task's own timeout is cut to it. */
  capTimeoutSec?: number;
  /** The task may start its successors ahead (a top-level task of a plain sequence). */
  startAhead?: boolean;
  policy?: RetryPolicy;
  form?: AttemptForm;
}

/** A task's command with its retries (retry.ts): each attempt is one run under the same key. */
export function runCommand(run: EngineRun, task: Task, key: string, signal: AbortSignal | undefined, o: CommandOptions = {}): Promise<TaskResult> {
  return runWithRetries({
    policy: o.policy, key, log: run.log, signal, routed: (route) => run.decisions.route(key, route),
    run: (attempt) => runAttempt(run, task, key, signal, o, attempt && { ...attempt, form: o.form }),
  });
}

/** Run one command (no routing) and store its result. */
async function runAttempt(run: EngineRun, task: Task, key: string, signal: AbortSignal | undefined, o: CommandOptions, attempt?: Attempt & { form?: AttemptForm }): Promise<TaskResult> {
  const { log, opts } = run;
  const label = attemptLabel(key, attempt, attempt?.form);
  const taken = run.ahead.take(key);
  const { hostname, target, command, execName, execType, args, shown, timeoutSec } = taken?.prepared ?? prepareTask(run, task, key, o.capTimeoutSec);
  const started = Date.now();
  if (!execType) {
    log.error(`Task ${label}: exec type '${execName}' is not configured`);
    return recordResult(run, task, key, { exitCode: TaskExit.NOT_FOUND, stdout: '', stderr: `exec type '${execName}' is not configured\n`, timedOut: false, durationMs: 0 }, { hostname, shown, label });
  }
  const ranOn = opts.placeOf?.(task, execType) ?? 'local';
  log.info(`Task ${label}: Executing [${execType}] on ${describePlace(hostname, ranOn)}: ${shown}`);
  const echo = { budget: CONSOLE_ECHO_LIMIT };
  const out = new LineSplitter((lines) => emitLines(run, label, 'STDOUT', lines, echo));
  const err = new LineSplitter((lines) => emitLines(run, label, 'STDERR', lines, echo));
  const executor = opts.executorFor(task, execType);
  const request: ExecRequest = {
    runId: opts.runId, taskId: label, execType, hostname: target, command, arguments: args,
    timeoutMs: timeoutSec * 1000, signal,
    onStdout: (c) => out.push(c), onStderr: (c) => err.push(c),
  };
  let result: ProcessResult;
  try {
    result = await executeStartingAhead(run, task, executor, request, o.startAhead === true, taken?.handle);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    result = { argv: [], exitCode: TaskExit.UNREACHABLE, signal: null, stdout: '', stderr: `${message}\n`, stdoutBytes: 0, stderrBytes: 0, timedOut: false, canceled: false, durationMs: Date.now() - started, truncated: false };
  }
  out.end();
  err.end();
  if (result.spawnError) log.error(`Task ${label}: ${result.spawnError}`);
  if (result.timedOut) log.error(`Task ${label}: timed out after ${timeoutSec} s: ${shown}`);
  log.info(`Task ${label}: Exit code: ${result.exitCode}`);
  return recordResult(run, task, key, result, { hostname, shown, label, ranOn });
}

/**
 * The request through the executor's start-ahead seam when it has one: the task taken from the
 * tasks started ahead, and (`plan`) the tasks after the last one started ahead, to keep the
 * executor's pipeline full.
 */
async function executeStartingAhead(run: EngineRun, task: Task, executor: TaskExecutor, request: ExecRequest, plan: boolean, taken: StartedAhead | undefined): Promise<ProcessResult> {
  const seam = startAheadOf(executor);
  if (!seam) return executor.execute(request);
  const planned = plan ? planStartAhead(run, task, executor, seam.depth) : [];
  const next = planned.map((t): AheadTask => ({ taskId: firstRunLabel(t.key, retryPolicyOf(t.task)), execType: t.prepared.execType!, hostname: t.prepared.target, command: t.prepared.command, arguments: t.prepared.args, timeoutMs: t.prepared.timeoutSec * 1000 }));
  const r = await seam.execute(request, { next, after: run.ahead.last?.handle, taken });
  run.ahead.accept(r.started, planned);
  return r.result;
}

/** Output lines go to the log file in full; the console echo stops after a budget per task run. */
function emitLines(run: EngineRun, key: string, stream: 'STDOUT' | 'STDERR', lines: string[], echo: { budget: number }): void {
  const { log } = run;
  let i = 0;
  if (run.opts.liveOutput !== false) {
    for (; i < lines.length && echo.budget > 0; i++) {
      echo.budget -= lines[i]!.length + 1;
      log.info(`Task ${key}: ${stream}: ${lines[i]}`);
      if (echo.budget <= 0) log.info(`Task ${key}: more than ${CONSOLE_ECHO_LIMIT / 1024} KiB of output; the rest goes to the log file only`);
    }
  }
  if (i < lines.length) {
    const prefix = `Task ${key}: ${stream}: `;
    log.fileOnly(prefix + lines.slice(i).join(`\n${prefix}`) + '\n');
  }
}
