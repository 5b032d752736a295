/**
 * The flow engine: runs a validated Workflow task by task with the routing rules of SPEC §2.
 * It never exits the process; it returns a RunOutcome and the CLI decides what to do with it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ExecRequest, ProcessResult, TaskExecutor } from '../../shared/exec/index.js';
import type { StartedAhead } from '../../shared/exec/index.js';
import { evaluateCondition, formatCondition } from '../../shared/taskfile/condition.js';
import type { ConditionNode } from '../../shared/taskfile/condition.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import { ExitCode } from '../../shared/exit-codes.js';
import type { RunLog } from './run-log.js';
import { splitCaptured } from './split-spilled.js';
import type { RunOutcome, TaskResult } from './types.js';
import { resolveArguments, VariableStore } from './variables.js';
import { LineSplitter } from './line-splitter.js';
import { createResultViews } from './result-views.js';
import { nextSequential } from '../../shared/taskfile/flow-analysis.js';
import { describePlace, type RanOn } from './host-recap.js';
import { retryPolicyOf, type RetryPolicy } from '../../shared/taskfile/retry-policy.js';
import { attemptLabel, firstRunLabel, runWithRetries, type Attempt, type AttemptForm } from './retry.js';

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
  evaluate: (node: ConditionNode, result?: TaskResult) => boolean;
}

export interface BlockOutcome {
  /** The block's aggregate result (stored under the block id). */
  result: TaskResult;
  /** true → on_success/next task; false → on_failure or stop. */
  passed: boolean;
  /** A block decided to stop the workflow (next=never): exit 0. */
  stop?: boolean;
}

const CONSOLE_ECHO_LIMIT = 1024 * 1024;

type Route = { kind: 'goto'; id: number; why: string } | { kind: 'end'; exitCode: number; status: 'success' | 'failed'; why: string };

export async function runWorkflow(opts: EngineOptions): Promise<RunOutcome> {
  const { workflow: wf, log } = opts;
  const store = opts.resume?.store ?? new VariableStore(wf.globals);
  const outcome: RunOutcome = {
    exitCode: 0, status: 'success', reason: 'completed',
    results: opts.resume?.outcome.results ?? new Map(),
    executionPath: opts.resume?.outcome.executionPath ?? [],
    loopIterations: opts.resume?.outcome.loopIterations ?? [],
    skippedTasks: opts.resume?.outcome.skippedTasks ?? [],
    finalHostname: '', finalCommand: '',
  };
  const topLevel = wf.ids.filter((id) => !wf.subtaskIds.has(id));
  let current: number | undefined = opts.resume?.next ?? opts.startFrom ?? (wf.tasks.has(0) ? 0 : topLevel[0]);
  if (current !== undefined && !wf.tasks.has(0) && opts.startFrom === undefined && !opts.resume) {
    log.warn(`No task 0; starting at the lowest task id, ${current}`);
  }

  // A stream that spilled to a file is read from there: conditions see the whole output.
  const viewsOf = createResultViews((message) => log.warn(message));
  const evaluate = (node: ConditionNode, r?: TaskResult): boolean =>
    evaluateCondition(node, { exitCode: r?.exitCode ?? 0, stdout: r?.stdout ?? '', stderr: r?.stderr ?? '', ...viewsOf(r), success: r?.success, resolve: store.resolve });

  const blockContext: BlockContext = {
    workflow: wf, store, log, outcome, signal: opts.signal, evaluate,
    runTask: (task, key, o) => runCommand(task, key, o?.signal ?? opts.signal, { capTimeoutSec: o?.timeoutSec, policy: o?.retry ?? retryPolicyOf(task), form: 'sub-task' }),
  };

  /** A task's command as it will run: variables substituted, exec type and timeout resolved. */
  interface Prepared {
    hostname: string;
    command: string;
    execName: string;
    execType: string | undefined;
    args: string;
    shown: string;
    timeoutSec: number;
  }
  const prepare = (task: Task, key: string, capTimeoutSec?: number): Prepared => {
    const hostname = store.resolve(task.hostname);
    const command = store.resolve(task.command);
    const execName = task.exec !== undefined ? store.resolve(task.exec).trim() : opts.defaultExecType;
    const execType = opts.canonicalExecType(execName.toLowerCase());
    const args = resolveArguments(task.arguments, execType, opts.env ?? {}, store.resolve);
    const shown = execType ? opts.describeCommand(execType, hostname, command, args) : `${command} ${args}`.trim();
    // A literal timeout was checked (and warned about) by validation; only substituted ones warn here.
    let timeoutSec = resolveTimeout(task.timeout !== undefined ? store.resolve(task.timeout) : undefined, opts.defaultTimeoutSec, task.timeout?.includes('@') ? log : undefined, key);
    if (capTimeoutSec !== undefined) timeoutSec = Math.min(timeoutSec, capTimeoutSec);
    return { hostname, command, execName, execType, args, shown, timeoutSec };
  };

  /**
   * The next tasks of a plain sequence, started by the executor the moment the one before exits
   * with status 0 (locally the launcher starts the next one; an agent gets the next two as
   * pipelined Executes), so tasker's own work between two tasks (recording, routing, preparing)
   * runs while the next program already runs instead of in front of it. Only where that start is
   * certain: the task before routes on its exit status alone (no next/success/failure/return/
   * sleep), so status 0 means success means `on_success` or the next task; that task is a plain
   * top-level command without a condition or loop whose fields use no variables (so nothing an
   * earlier task produces can change it), on the same executor. A program we kill never gets a
   * follower (runProcess cancels it first), and one that fails does not either. `ahead` holds
   * them in order, each to start after the one before it (the first after the running task).
   */
  let ahead: { key: string; task: Task; prepared: Prepared; handle: StartedAhead }[] = [];
  const chainTarget = (task: Task, executor: TaskExecutor): { key: string; task: Task; prepared: Prepared } | undefined => {
    if (task.next || task.success || task.failure || task.returnCode !== undefined || task.sleep !== undefined) return undefined;
    const next = wf.tasks.get(task.onSuccess ?? nextSequential(wf, task.id));
    if (!next || next.type !== 'task' || wf.subtaskIds.has(next.id) || next.condition || next.next?.kind === 'loop' || !next.command) return undefined;
    if ([next.hostname, next.command, next.arguments, next.exec, next.timeout].some((v) => v?.includes('@'))) return undefined;
    const prepared = prepare(next, String(next.id));
    if (!prepared.execType || opts.executorFor(next, prepared.execType) !== executor) return undefined;
    return { key: String(next.id), task: next, prepared };
  };
  /**
   * The task started ahead for this turn if it is this one; otherwise all are discarded. Its
   * fields use no variables (chainTarget), so it runs as it was prepared when it was sent.
   */
  const takePrestarted = (key: string): (typeof ahead)[number] | undefined => {
    const head = ahead[0];
    if (!head) return undefined;
    if (head.key === key) return ahead.shift();
    void dropPrestarted(`was started ahead, but Task ${key} runs instead`);
    return undefined;
  };
  const dropPrestarted = async (why: string): Promise<void> => {
    const dropped = ahead;
    ahead = [];
    const started = await Promise.all(dropped.map((a) => a.handle.discard()));
    dropped.forEach((a, i) => started[i] && log.warn(`Task ${a.key}: ${why}; its process group was killed`));
  };

  /** A task's command with its retries (retry.ts): each attempt is one runOne under the same key. */
  const runCommand = (task: Task, key: string, signal: AbortSignal | undefined, o: { capTimeoutSec?: number; chain?: boolean; policy?: RetryPolicy; form?: AttemptForm } = {}): Promise<TaskResult> =>
    runWithRetries({ policy: o.policy, key, log, signal, run: (attempt) => runOne(task, key, signal, o.capTimeoutSec, o.chain, attempt && { ...attempt, form: o.form }) });

  /** Run one command task (no routing) and store its result; `chain`: it may start its successor. */
  const runOne = async (task: Task, key: string, signal: AbortSignal | undefined, capTimeoutSec?: number, chain = false, attempt?: Attempt & { form?: AttemptForm }): Promise<TaskResult> => {
    const label = attemptLabel(key, attempt, attempt?.form);
    const prestarted = takePrestarted(key);
    const p = prestarted?.prepared ?? prepare(task, key, capTimeoutSec);
    const { hostname, command, execName, execType, args, shown, timeoutSec } = p;
    const started = Date.now();
    if (!execType) {
      log.error(`Task ${label}: exec type '${execName}' is not configured`);
      return store_(task, key, { exitCode: 127, stdout: '', stderr: `exec type '${execName}' is not configured\n`, timedOut: false, durationMs: 0 }, hostname, shown, label);
    }
    const ranOn = opts.placeOf?.(task, execType) ?? 'local';
    log.info(`Task ${label}: Executing [${execType}] on ${describePlace(hostname, ranOn)}: ${shown}`);
    const echo = { budget: CONSOLE_ECHO_LIMIT };
    const out = new LineSplitter((lines) => emitLines(label, 'STDOUT', lines, echo));
    const err = new LineSplitter((lines) => emitLines(label, 'STDERR', lines, echo));
    const executor = opts.executorFor(task, execType);
    // Keep the executor's pipeline full: the tasks after the last one already sent ahead.
    const then: NonNullable<ReturnType<typeof chainTarget>>[] = [];
    for (let last = ahead.at(-1)?.task ?? task; chain && ahead.length + then.length < (executor.pipelineDepth ?? 0);) {
      const next = chainTarget(last, executor);
      if (!next) break;
      then.push(next);
      last = next.task;
    }
    const request: ExecRequest = {
      runId: opts.runId, taskId: label, execType, hostname, command, arguments: args,
      timeoutMs: timeoutSec * 1000, signal,
      onStdout: (c) => out.push(c), onStderr: (c) => err.push(c),
      prestarted: prestarted?.handle,
      then: then.map((t) => ({ taskId: firstRunLabel(t.key, retryPolicyOf(t.task)), execType: t.prepared.execType!, hostname: t.prepared.hostname, command: t.prepared.command, arguments: t.prepared.args, timeoutMs: t.prepared.timeoutSec * 1000 })),
      after: ahead.at(-1)?.handle,
    };
    let result: ProcessResult;
    try {
      result = await executor.execute(request);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      result = { argv: [], exitCode: 255, signal: null, stdout: '', stderr: `${message}\n`, stdoutBytes: 0, stderrBytes: 0, timedOut: false, canceled: false, durationMs: Date.now() - started, truncated: false };
    }
    result.ahead?.forEach((handle, i) => ahead.push({ ...then[i]!, handle }));
    out.end();
    err.end();
    if (result.spawnError) log.error(`Task ${label}: ${result.spawnError}`);
    if (result.timedOut) log.error(`Task ${label}: timed out after ${timeoutSec} s: ${shown}`);
    log.info(`Task ${label}: Exit code: ${result.exitCode}`);
    return store_(task, key, result, hostname, shown, label, ranOn);
  };

  /** Output lines go to the log file in full; the console echo stops after a budget per task run. */
  const emitLines = (key: string, stream: 'STDOUT' | 'STDERR', lines: string[], echo: { budget: number }): void => {
    let i = 0;
    if (opts.liveOutput !== false) {
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
  };

  /** Split, evaluate success, store. */
  const store_ = (task: Task, key: string, r: Pick<ProcessResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut' | 'durationMs'> & Partial<ProcessResult>, hostname: string, shown: string, label = key, ranOn?: RanOn): TaskResult => {
    const result: TaskResult = {
      key, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr,
      stdoutFile: r.stdoutFile, stderrFile: r.stderrFile,
      success: false, timedOut: r.timedOut, skipped: false, durationMs: r.durationMs, hostname, command: shown,
      ...(ranOn ? { ranOn } : {}), ...(r.unreachable ? { unreachable: true } : {}),
    };
    // Splits apply to the whole stream; a large element stays in a spill file of its own.
    const warn = (message: string) => log.warn(`Task ${label}: ${message}`);
    if (task.stdoutSplit) {
      const split = splitCaptured({ text: result.stdout, file: result.stdoutFile }, task.stdoutSplit, warn);
      result.stdout = split.text;
      result.stdoutFile = split.file;
    }
    if (task.stderrSplit) {
      const split = splitCaptured({ text: result.stderr, file: result.stderrFile }, task.stderrSplit, warn);
      result.stderr = split.text;
      result.stderrFile = split.file;
    }
    if (task.success) result.success = evaluate(task.success, result);
    else if (task.failure) result.success = !evaluate(task.failure, result);
    else result.success = result.exitCode === 0;
    if (r.timedOut) result.success = task.success ? result.success : false;
    outcome.results.set(key, result);
    store.byId.set(task.id, result);
    log.info(`Task ${label}: Completed - Success: ${result.success ? 'True' : 'False'}`);
    return result;
  };

  const finish = (route: Extract<Route, { kind: 'end' }>, last?: Task): RunOutcome => {
    outcome.exitCode = route.exitCode;
    outcome.status = route.status;
    outcome.reason = route.why;
    if (last) outcome.finalTask = last.id;
    return outcome;
  };

  let last: Task | undefined;
  try {
    for (;;) {
      // A next task the launcher already started when the stop came still runs through the engine,
      // which kills it at once and records it as cancelled: nothing runs unrecorded.
      if (opts.signal?.aborted && !(current !== undefined && (await prestartedRuns(current)))) return interrupted(outcome, opts.signal, last);
      if (current === undefined || !wf.tasks.has(current)) {
        if (current !== undefined && last && current !== last.id + 1) log.warn(`Task ${current} does not exist; the workflow ends here`);
        return finish({ kind: 'end', exitCode: 0, status: 'success', why: 'completed' }, last);
      }
      const task = wf.tasks.get(current)!;
      const route = await runTopLevel(task);
      if (!outcome.skippedTasks.includes(task.id) || outcome.executionPath.includes(task.id)) {
        last = task;
        outcome.finalTask = task.id;
        outcome.finalHostname = store.resolve(task.hostname) || 'localhost';
        outcome.finalCommand = store.resolve(`${task.command} ${task.arguments}`).trim();
      }
      if (opts.signal?.aborted && !(route.kind === 'goto' && (await prestartedRuns(route.id)))) return interrupted(outcome, opts.signal, last);
      if (route.kind === 'end') {
        opts.onCheckpoint?.(undefined, { store, outcome });
        if (route.status === 'failed') outcome.failedTask = task.id;
        return finish(route, last);
      }
      if (route.id > task.id + 1) {
        for (let id = task.id + 1; id < route.id; id++) if (wf.tasks.has(id) && !wf.subtaskIds.has(id) && !outcome.executionPath.includes(id)) outcome.skippedTasks.push(id);
      }
      if (log.debugEnabled || route.id !== task.id + 1) log.info(`Task ${task.id}: ${route.why}`);
      opts.onCheckpoint?.(route.id, { store, outcome });
      current = route.id;
    }
  } finally {
    await dropPrestarted('was started ahead as the next task, but the run ended');
  }

  /** Whether the next task started ahead (task `id`, when given; see chainTarget) did start. */
  async function prestartedRuns(id?: number): Promise<boolean> {
    const head = ahead[0];
    if (!head || (id !== undefined && head.key !== String(id))) return false;
    return head.handle.started;
  }

  async function runTopLevel(task: Task): Promise<Route> {
    const id = task.id;
    // Pre-guard: a false `condition` skips the task.
    if (task.condition && task.type !== 'conditional') {
      if (!evaluate(task.condition)) {
        log.info(`Task ${id}: Condition '${formatCondition(task.condition)}' is FALSE, skipping task`);
        const r: TaskResult = { key: String(id), exitCode: -1, stdout: '', stderr: 'Task skipped due to condition', success: false, timedOut: false, skipped: true, durationMs: 0, hostname: store.resolve(task.hostname), command: '' };
        outcome.results.set(String(id), r);
        store.byId.set(id, r);
        outcome.skippedTasks.push(id);
        return { kind: 'goto', id: nextSequential(wf, id), why: 'skipped, continuing with the next task' };
      }
    }
    outcome.executionPath.push(id);
    if (task.returnCode !== undefined && !task.command && task.type === 'task') return returnWith(task);

    if (task.type !== 'task') {
      if (!opts.runBlock) return { kind: 'end', exitCode: ExitCode.VALIDATION_FAILED, status: 'failed', why: `task ${id}: ${task.type} blocks cannot run here` };
      log.info(task.type === 'decision' ? `Task ${id}: DECISION - Evaluating conditions` : `Task ${id}: Starting ${task.type} execution`);
      const block = await opts.runBlock(task, blockContext);
      outcome.results.set(String(id), block.result);
      store.byId.set(id, block.result);
      if (block.stop) return { kind: 'end', exitCode: returnValue(task) ?? 0, status: 'success', why: `${task.type} block stops the workflow (next=never)` };
      if (task.returnCode !== undefined) return returnWith(task);
      // A false decision without on_failure carries on with the next task (the peer's semantics).
      if (task.type === 'decision' && !block.passed && task.onFailure === undefined) return { kind: 'goto', id: nextSequential(wf, id), why: 'decision false, next task' };
      return routeOutcome(task, block.passed, `${task.type} outcome ${block.passed ? 'true' : 'false'}`);
    }

    if (task.next?.kind === 'loop') return runLoop(task);

    const result = await runCommand(task, String(id), opts.signal, { chain: true, policy: retryPolicyOf(task) });
    await sleepAfter(task, String(id));
    if (opts.signal?.aborted && !(await prestartedRuns())) return { kind: 'end', exitCode: 0, status: 'failed', why: 'interrupted' };
    if (task.returnCode !== undefined) return returnWith(task);
    return routeAfter(task, result);
  }

  async function runLoop(task: Task): Promise<Route> {
    const id = task.id;
    const runs = (task.loop ?? 0) + 1;
    const cond = task.next?.kind === 'loop' ? task.next.condition : null;
    let result: TaskResult | undefined;
    for (let k = 1; k <= runs; k++) {
      const key = `${id}.${k}`;
      outcome.loopIterations.push(key);
      result = await runCommand(task, key, opts.signal, { policy: retryPolicyOf(task) });
      outcome.results.set(String(id), { ...result, key: String(id) });
      // A loop whose break (or continue) condition says it is done moves on at once: its sleep is
      // the wait between runs. Runs used up end like a plain task, after its sleep.
      const done = task.loopBreak && evaluate(task.loopBreak, result)
        ? `loop_break '${formatCondition(task.loopBreak)}' is true, leaving the loop`
        : cond && !evaluate(cond, result) ? `loop condition '${formatCondition(cond)}' is false, leaving the loop` : undefined;
      if (done !== undefined) log.info(`Task ${key}: ${done}${task.sleep !== undefined ? ' (no sleep)' : ''}`);
      else await sleepAfter(task, key);
      if (opts.signal?.aborted) return { kind: 'end', exitCode: 0, status: 'failed', why: 'interrupted' };
      if (done !== undefined) break;
      if (k === runs) log.info(`Task ${id}: loop finished after ${runs} runs`);
    }
    if (task.returnCode !== undefined) return returnWith(task);
    return { kind: 'goto', id: task.onSuccess ?? nextSequential(wf, id), why: 'loop done, continuing' };
  }

  function routeAfter(task: Task, result: TaskResult): Route {
    const next = task.next;
    if (next?.kind === 'never') {
      const code = returnValue(task) ?? 0;
      return { kind: 'end', exitCode: code, status: code === 0 ? 'success' : 'failed', why: 'next=never' };
    }
    if (next?.kind === 'always') return { kind: 'goto', id: task.onSuccess ?? nextSequential(wf, task.id), why: 'next=always' };
    if (next?.kind === 'condition') {
      const ok = evaluate(next.condition, result);
      return routeOutcome(task, ok, `next \`${formatCondition(next.condition)}\` → ${ok}`, true);
    }
    return routeOutcome(task, result.success, `success → ${result.success}`);
  }

  function routeOutcome(task: Task, ok: boolean, why: string, fromNext = false): Route {
    if (ok) {
      return task.onSuccess !== undefined
        ? { kind: 'goto', id: task.onSuccess, why: `${why}, jumping to Task ${task.onSuccess}` }
        : { kind: 'goto', id: nextSequential(wf, task.id), why: `${why}, next task` };
    }
    if (task.onFailure !== undefined) return { kind: 'goto', id: task.onFailure, why: `${why}, jumping to Task ${task.onFailure}` };
    if (opts.fireAndForget && !fromNext && task.type === 'task') {
      log.warn(`Task ${task.id}: failed; --fire-and-forget continues with the next task`);
      return { kind: 'goto', id: nextSequential(wf, task.id), why: `${why}, fire-and-forget` };
    }
    const r = outcome.results.get(String(task.id));
    const detail = r ? ` (exit code ${r.exitCode}${r.timedOut ? ', timed out' : ''})` : '';
    log.error(`Task ${task.id}: ${why}; no route for the failure, stopping${detail}`);
    return { kind: 'end', exitCode: ExitCode.TASK_FAILED, status: 'failed', why: `task ${task.id} failed${detail}` };
  }

  function returnValue(task: Task): number | undefined {
    if (task.returnCode === undefined) return undefined;
    const v = store.resolve(task.returnCode).trim();
    return /^-?\d+$/.test(v) ? ((Number(v) % 256) + 256) % 256 : undefined;
  }

  function returnWith(task: Task): Route {
    const code = returnValue(task);
    if (code === undefined) {
      log.error(`Task ${task.id}: return value '${store.resolve(task.returnCode!)}' is not a whole number`);
      return { kind: 'end', exitCode: ExitCode.RETURN_NOT_INTEGER, status: 'failed', why: 'return value is not a number' };
    }
    log.info(`Task ${task.id}: Returning with exit code ${code}`);
    return { kind: 'end', exitCode: code, status: code === 0 ? 'success' : 'failed', why: `return=${code}` };
  }

  async function sleepAfter(task: Task, key: string): Promise<void> {
    if (task.sleep === undefined) return;
    const secs = Number(store.resolve(task.sleep));
    if (!Number.isFinite(secs) || secs <= 0) return;
    log.info(`Task ${key}: Sleeping for ${secs} seconds`);
    try {
      await delay(secs * 1000, undefined, { signal: opts.signal });
    } catch {
      /* interrupted: the main loop notices the abort */
    }
  }
}

function interrupted(outcome: RunOutcome, signal: AbortSignal, last: { id: number } | undefined): RunOutcome {
  const which = signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
  outcome.interrupted = which;
  outcome.exitCode = which === 'SIGTERM' ? ExitCode.SIGTERM : ExitCode.SIGINT;
  outcome.status = 'failed';
  outcome.reason = `interrupted by ${which}`;
  if (last) outcome.finalTask = last.id;
  return outcome;
}

/** Task timeout after substitution, clamped to 5–1000 s with a warning. */
export function resolveTimeout(raw: string | undefined, fallback: number, log: RunLog | undefined, key: string): number {
  let t = fallback;
  if (raw !== undefined) {
    const n = Number(raw.trim());
    if (Number.isFinite(n)) t = Math.trunc(n);
    else log?.warn(`Task ${key}: timeout '${raw}' is not a number; using ${fallback} s`);
  }
  if (t < 5 || t > 1000) {
    const c = Math.min(1000, Math.max(5, t));
    log?.warn(`Task ${key}: timeout ${t} s is outside 5–1000; using ${c} s`);
    t = c;
  }
  return t;
}
