import { mkdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { runProcess } from '../../shared/exec/index.js';
import { mergeHostTallies, type HostTallies } from '../../shared/hosts/index.js';
import { TaskExit } from '../../shared/exit-codes.js';
import { buildTaskCommand, type CommandTemplate } from './command.js';
import { loadTaskerMain, taskerArguments, type TaskerMain } from './in-process.js';
import type { MainLog } from './main-log.js';
import type { ProgressReporter } from './progress.js';
import { durationSeconds, notStartedRecord, type ResultsWriter } from './results-writer.js';
import { createStopLimitTracker, type StopLimitSettings } from './stop-limits.js';
import { TailBuffer, type OutputTail, type TaskOutputWriter } from './task-output.js';
import type { TaskEntry, TaskRecord, TaskStatus } from './types.js';

/** Everything one parallel run needs. The CLI builds it; a distributed mode can build its own. */
export interface ParallelRunOptions {
  sessionId: string;
  entries: readonly TaskEntry[];
  template: CommandTemplate;
  /** Pool size, at least 1. */
  maxWorkers: number;
  /** Per-task timeout in seconds (whole process group killed on expiry). */
  timeoutSeconds: number;
  /** Pause between two task starts (not before the first), seconds. */
  startDelaySeconds?: number;
  /** SIGTERM → SIGKILL grace for a task's group, ms. Default 2000. */
  killGraceMs?: number;
  /** Auto-stop settings, or null when stop limits are off. */
  stopLimits?: StopLimitSettings | null;
  /** Shared directory, or the parent of one `pid<PID>_task<N>` directory per task when isolated. */
  workspace: { dir: string; isolated: boolean };
  /** Used in isolated workspace names. Default process.pid. */
  pid?: number;
  maxArgumentLength?: number;
  /** Characters of each stream kept for the TaskResults file. */
  maxOutputCapture?: number;
  /** Task files bigger than this are an ERROR, not run. */
  maxFileSize?: number;
  /** Run `tasker …` commands through the engine in this process. Default true. */
  inProcessTasker?: boolean;
  results?: ResultsWriter | null;
  taskOutput?: TaskOutputWriter | null;
  log?: MainLog | null;
  progress?: ProgressReporter | null;
  /** Awaited before each task starts (the input backup holds a task until its file is saved). */
  beforeTask?: (entry: TaskEntry) => Promise<void>;
  /** Called after each record is written (registry progress, distributed bookkeeping). */
  onRecord?: (record: TaskRecord, counts: { done: number; total: number }) => void;
}

export interface ParallelRunResult {
  /** Completion order; tasks that never started come last, in discovery order. */
  records: TaskRecord[];
  /** The auto-stop message when a stop limit tripped. */
  stopReason?: string;
  /** 'SIGINT' / 'SIGTERM' when io.signal stopped the run. */
  interrupted?: string;
  elapsedSeconds: number;
  /** How many tasks went through the in-process engine. */
  inProcessCount: number;
  /** Per-host counts summed over the task files run in-process (spawned commands report none). */
  hosts: HostTallies;
  /** How many task files reported host counts. */
  hostsFiles: number;
}

/** What running one task produced, whichever way it ran. */
interface Outcome {
  exitCode: number | null;
  status: TaskStatus;
  error: string;
  stdout: OutputTail;
  stderr: OutputTail;
}

/**
 * Runs every entry on a bounded async pool and records one result per entry.
 *
 * Stopping (io.signal, or a stop limit) aborts one shared controller: running tasks get their process
 * group killed (SIGTERM, SIGKILL after the grace) and are recorded CANCELLED, as is everything that had
 * not started yet. The returned records are complete in every case.
 */
export async function runParallel(options: ParallelRunOptions, io: CliIo): Promise<ParallelRunResult> {
  const t0 = Date.now();
  const entries = options.entries;
  const total = entries.length;
  const stop = new AbortController();
  let interrupted: string | undefined;
  const onAbort = () => {
    interrupted = String(io.signal?.reason ?? 'SIGTERM');
    options.log?.warn(`Received ${interrupted}: cancelling remaining tasks`);
    options.progress?.note(`Received ${interrupted}: stopping, running tasks are killed, the rest is cancelled`);
    stop.abort(interrupted);
  };
  if (io.signal?.aborted) onAbort();
  else io.signal?.addEventListener('abort', onAbort, { once: true });

  const tracker = options.stopLimits ? createStopLimitTracker(options.stopLimits) : undefined;
  let stopReason: string | undefined;
  const records: TaskRecord[] = [];
  const recorded = new Array<boolean>(total).fill(false);
  let inProcessCount = 0;
  const hosts: HostTallies = {};
  let hostsFiles = 0;
  const taskerMain: TaskerMain | undefined =
    options.inProcessTasker !== false && templateRunsTasker(options.template) ? await loadTaskerMain() : undefined;
  if (taskerMain) options.log?.info('Command runs tasker: using the in-process engine (no process start per task file)');

  const record = (r: TaskRecord, i: number, out?: { stdout: OutputTail; stderr: OutputTail }) => {
    recorded[i] = true;
    records.push(r);
    options.results?.write(r);
    if (out && r.start_time !== null) options.taskOutput?.write(r, out);
    options.progress?.finished(r, i + 1);
    options.onRecord?.(r, { done: records.length, total });
  };

  const delayMs = Math.max(0, (options.startDelaySeconds ?? 0) * 1000);
  let nextStartAt = 0;
  const waitForStartSlot = async () => {
    if (delayMs === 0) return;
    const now = Date.now();
    const at = Math.max(now, nextStartAt);
    nextStartAt = at + delayMs;
    if (at > now) await sleep(at - now, stop.signal);
  };

  let next = 0;
  const worker = async (slot: number) => {
    for (;;) {
      if (stop.signal.aborted) return;
      const i = next++;
      if (i >= total) return;
      await waitForStartSlot();
      const entry = entries[i]!;
      if (options.beforeTask) await options.beforeTask(entry);
      if (stop.signal.aborted) return;
      const r = await runOne(entry, slot);
      record(r.record, i, r.output);
      if (tracker && r.record.status !== 'CANCELLED') {
        const reason = tracker.record(r.record.status);
        if (reason && !stopReason && !stop.signal.aborted) {
          stopReason = reason;
          options.log?.error(reason);
          options.progress?.note(reason);
          stop.abort('STOP_LIMIT');
        }
      }
    }
  };

  const runOne = async (entry: TaskEntry, slot: number) => {
    const startMs = Date.now();
    const built = buildTaskCommand(options.template, entry, options.maxArgumentLength);
    const base = {
      session_id: options.sessionId,
      task_file: entry.taskFile,
      arguments: entry.arguments,
      worker: slot,
      agent: null,
    };
    const finish = (o: Outcome, command: string) => {
      const endMs = Date.now();
      const rec: TaskRecord = {
        ...base,
        command,
        status: o.status,
        exit_code: o.exitCode,
        start_time: new Date(startMs).toISOString(),
        end_time: new Date(endMs).toISOString(),
        duration_seconds: durationSeconds(startMs, endMs),
        error_message: o.error,
      };
      options.log?.log(
        o.status === 'SUCCESS' ? 'INFO' : o.status === 'CANCELLED' ? 'WARNING' : 'ERROR',
        `Worker ${slot} [${entry.index}/${total}]: ${o.status}${o.exitCode === null ? '' : ` exit code ${o.exitCode}`}, ${rec.duration_seconds.toFixed(2)}s${o.error ? ` (${o.error})` : ''}: ${entry.taskFile ?? entry.arguments.join(' ')}`,
      );
      return { record: rec, output: { stdout: o.stdout, stderr: o.stderr } };
    };
    const empty = { text: '', totalBytes: 0 };
    if ('error' in built) return finish({ status: 'ERROR', exitCode: null, error: built.error, stdout: empty, stderr: empty }, '');
    if (entry.taskPath && options.maxFileSize !== undefined) {
      const size = fileSize(entry.taskPath);
      if (size === undefined) {
        return finish({ status: 'ERROR', exitCode: null, error: `task file not readable: ${entry.taskPath}`, stdout: empty, stderr: empty }, built.display);
      }
      if (size > options.maxFileSize) {
        return finish({ status: 'ERROR', exitCode: null, error: `task file is ${size} bytes, above advanced.max_file_size (${options.maxFileSize})`, stdout: empty, stderr: empty }, built.display);
      }
    }
    let cwd = options.workspace.dir;
    if (options.workspace.isolated) {
      cwd = join(options.workspace.dir, `pid${options.pid ?? process.pid}_task${entry.index}`);
      mkdirSync(cwd, { recursive: true });
    }
    options.log?.info(`[${entry.index}/${total}] worker ${slot}: ${built.display}`);
    options.progress?.started(entry, slot, built.display);
    const env = Object.keys(entry.envVars).length ? { ...io.env, ...entry.envVars } : io.env;
    const capture = options.taskOutput ? options.maxOutputCapture ?? 1000 : 0;
    const taskerArgv = taskerMain ? taskerArguments(built.argv) : undefined;
    const o =
      taskerMain && taskerArgv
        ? (inProcessCount++, await runInProcess(taskerMain, taskerArgv, { cwd, env, capture }))
        : await runSpawned(built.argv, { cwd, env, capture });
    return finish(o, built.display);
  };

  const runSpawned = async (argv: string[], o: { cwd: string; env: NodeJS.ProcessEnv; capture: number }): Promise<Outcome> => {
    const out = new TailBuffer(o.capture);
    const err = new TailBuffer(o.capture);
    const res = await runProcess({
      argv,
      cwd: o.cwd,
      env: o.env,
      timeoutMs: options.timeoutSeconds * 1000,
      killGraceMs: options.killGraceMs ?? 2000,
      signal: stop.signal,
      // Only the tail is kept (in TailBuffer); keep the runner's own capture small.
      captureLimit: 64 * 1024,
      previewLimit: 1024,
      onStdout: o.capture ? (c) => out.push(c) : undefined,
      onStderr: o.capture ? (c) => err.push(c) : undefined,
    });
    for (const f of [res.stdoutFile, res.stderrFile]) if (f) safeUnlink(f);
    if (res.spawnError && o.capture) err.push(res.spawnError);
    const status: TaskStatus = res.timedOut ? 'TIMEOUT' : res.canceled ? 'CANCELLED' : res.spawnError ? 'ERROR' : res.exitCode === 0 ? 'SUCCESS' : 'FAILED';
    const error =
      status === 'TIMEOUT' ? `Timeout after ${options.timeoutSeconds}s (process group killed)`
      : status === 'CANCELLED' ? cancelMessage(stop.signal.reason)
      : status === 'ERROR' ? res.spawnError!
      : status === 'FAILED' ? `Exit code ${res.exitCode}`
      : '';
    return { status, exitCode: res.exitCode, error, stdout: out.result(), stderr: err.result() };
  };

  const runInProcess = async (main: TaskerMain, argv: string[], o: { cwd: string; env: NodeJS.ProcessEnv; capture: number }): Promise<Outcome> => {
    const out = new TailBuffer(o.capture);
    const err = new TailBuffer(o.capture);
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort('SIGTERM');
    }, options.timeoutSeconds * 1000);
    const onStop = () => ctl.abort(stop.signal.reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
    stop.signal.addEventListener('abort', onStop, { once: true });
    const taskIo: CliIo = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      env: o.env,
      cwd: o.cwd,
      isTTY: false,
      signal: ctl.signal,
      onHostTallies: (h) => {
        hostsFiles++;
        mergeHostTallies(hosts, h);
      },
    };
    try {
      // The engine honours its abort signal; should it not settle after an abort, give up waiting
      // (kill grace + 5 s) so one stuck task cannot hold the whole run.
      const code = await settleAfterAbort(main(argv, taskIo), ctl.signal, (options.killGraceMs ?? 2000) + 5000);
      if (timedOut) return { status: 'TIMEOUT', exitCode: TaskExit.TIMED_OUT, error: `Timeout after ${options.timeoutSeconds}s`, stdout: out.result(), stderr: err.result() };
      if (stop.signal.aborted) return { status: 'CANCELLED', exitCode: code, error: cancelMessage(stop.signal.reason), stdout: out.result(), stderr: err.result() };
      return { status: code === 0 ? 'SUCCESS' : 'FAILED', exitCode: code, error: code === 0 ? '' : `Exit code ${code}`, stdout: out.result(), stderr: err.result() };
    } catch (e) {
      return { status: 'ERROR', exitCode: null, error: `in-process tasker failed: ${(e as Error).message}`, stdout: out.result(), stderr: err.result() };
    } finally {
      clearTimeout(timer);
      stop.signal.removeEventListener('abort', onStop);
    }
  };

  const slots = Math.max(1, Math.min(options.maxWorkers, total));
  await Promise.all(Array.from({ length: slots }, (_, k) => worker(k + 1)));
  io.signal?.removeEventListener('abort', onAbort);

  const why = cancelMessage(stop.signal.reason);
  for (let i = 0; i < total; i++) {
    if (recorded[i]) continue;
    const e = entries[i]!;
    const command = buildTaskCommand(options.template, e);
    record(notStartedRecord({ session_id: options.sessionId, task_file: e.taskFile, arguments: e.arguments, command: 'error' in command ? '' : command.display }, 'CANCELLED', why), i);
  }
  options.progress?.done();
  return { records, stopReason, interrupted, elapsedSeconds: (Date.now() - t0) / 1000, inProcessCount, hosts, hostsFiles };
}

function templateRunsTasker(t: CommandTemplate): boolean {
  return taskerArguments(t.argv) !== undefined;
}

function cancelMessage(reason: unknown): string {
  if (reason === 'STOP_LIMIT') return 'Task cancelled (stop limit reached)';
  if (reason === 'SIGINT' || reason === 'SIGTERM') return `Task cancelled (${reason})`;
  return 'Task cancelled';
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** The promise's value; once `signal` aborts, at most `graceMs` more before resolving with 125 instead. */
function settleAfterAbort(p: Promise<number>, signal: AbortSignal, graceMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve(125), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
