import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { statSync } from 'node:fs';
import { applyCaptures, DEFAULT_CAPTURE_LIMIT, DEFAULT_PREVIEW_LIMIT, StreamCapture, type CaptureResult } from './capture.js';
import { killProcessGroup } from './kill-group.js';
import { getLauncher } from './launcher.js';
import { type AheadProcess, type ExitStatus, type StartedChild } from './launcher-child.js';
import type { ProcessStartAhead, ProcessStartAheadResult } from './start-ahead.js';
import { treeKiller } from './process-tree.js';
import { releaseFromWatchdog, watchOverChild } from './spawn-watchdog.js';
import type { ProcessResult, RunOptions } from './types.js';
import { ExitCode, TaskExit, signalExitCode } from '../exit-codes.js';
import { LauncherUnavailableError, StartError } from '../errors/index.js';
import { duringKillGrace } from '../kill-grace.js';

/** Between SIGTERM and SIGKILL of a stopped group, unless the caller says otherwise. */
export const DEFAULT_KILL_GRACE_MS = 2000;
/** How long we wait for pipe EOF after the direct child exited before killing what is left. */
export const PIPE_DRAIN_MS = 150;
/** Upper bound on reading pipes held by processes that escaped the group after it was killed. */
const MAX_DRAIN_AFTER_KILL_MS = 5000;

/** Exit codes of a canceled run, by AbortSignal reason. */
export const CANCEL_EXIT_CODES = { SIGINT: ExitCode.SIGINT, SIGTERM: ExitCode.SIGTERM, other: TaskExit.CANCELED } as const;

type KillReason = 'timeout' | 'cancel';

/**
 * Run one program (argv, never a shell) in its own process group and collect a bounded result.
 *
 * - Timeout / abort: SIGTERM to the whole tree (the group and every descendant, also those that
 *   left the group: {@link StartedChild.kill}), SIGKILL after `killGraceMs`. Once the direct child
 *   is gone, whatever remains of the tree gets SIGKILL after a short drain, and pipes still held by
 *   escaped processes are destroyed, so the run always finishes.
 * - A child that exits normally but leaves group members holding its pipes: after
 *   {@link PIPE_DRAIN_MS} without EOF the remaining group gets SIGKILL (the peer hung here).
 * - Exit codes: the child's code; 128+N when killed by signal N; 124 on timeout; on abort 130 if
 *   `signal.reason === 'SIGINT'`, 143 if `'SIGTERM'`, else 125 (canceled by the caller for some
 *   other reason; 125 is what `timeout(1)` uses for "failed on its own behalf"); 127 when the
 *   program does not exist; 126 when it cannot be executed.
 *
 * Never throws (a rejected promise would be a bug).
 */
export async function runProcess(opts: RunOptions): Promise<ProcessResult> {
  return (await runProcessStartingAhead(opts, undefined)).result;
}

/**
 * runProcess with start ahead (start-ahead.ts): supervise `ahead.taken`, a program started ahead
 * of it, instead of starting `argv` anew when it started; and have the launcher start
 * `ahead.next` the moment this program exits with status 0 on its own (its handle is `next` of
 * the result; none without the launcher).
 */
export async function runProcessStartingAhead(opts: RunOptions, ahead: ProcessStartAhead | undefined): Promise<ProcessStartAheadResult> {
  const r = await startAndSupervise(opts, ahead);
  return 'result' in r ? r : { result: r };
}

async function startAndSupervise(opts: RunOptions, ahead: ProcessStartAhead | undefined): Promise<ProcessResult | ProcessStartAheadResult> {
  const started = performance.now();
  const argv = [...opts.argv];
  const base = (): ProcessResult => ({
    argv,
    exitCode: TaskExit.SUCCESS,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutBytes: 0,
    stderrBytes: 0,
    timedOut: false,
    canceled: false,
    durationMs: 0,
    truncated: false,
  });
  const failed = (exitCode: number, spawnError: string): ProcessResult => ({
    ...base(),
    exitCode,
    stderr: spawnError,
    spawnError,
    durationMs: performance.now() - started,
  });

  const program = argv[0];
  if (program === undefined || program === '') return failed(TaskExit.NOT_FOUND, 'command not found: (empty command)');

  let child: StartedChild | undefined;
  try {
    // A program started ahead is supervised even when the run was aborted meanwhile: supervise
    // kills it at once, and the result says it was cancelled.
    if (ahead?.taken) child = await adopt(ahead.taken);
    if (!child) {
      if (opts.signal?.aborted) {
        return { ...base(), canceled: true, exitCode: cancelExitCode(opts.signal.reason), durationMs: 0 };
      }
      child = await startChild(argv, opts.cwd, opts.env ?? process.env);
    }
  } catch (e) {
    const code = e instanceof StartError ? e.errno : (e as NodeJS.ErrnoException).code;
    // Checked only now: a stat per command is measurable on runs of many short commands.
    if (opts.cwd !== undefined && !isDirectory(opts.cwd)) return failed(TaskExit.CANNOT_EXECUTE, `working directory does not exist: ${opts.cwd}`);
    if (code === 'ENOENT') return failed(TaskExit.NOT_FOUND, `command not found: ${program}`);
    if (code === 'EACCES') return failed(TaskExit.CANNOT_EXECUTE, `permission denied: ${program}`);
    return failed(TaskExit.CANNOT_EXECUTE, `cannot run ${program}: ${code ?? (e as Error).message}`);
  }
  const next = ahead?.next && child.startAhead?.(ahead.next.argv, ahead.next.cwd, ahead.next.env ?? process.env);
  const result = await supervise(child, opts, argv, started, base);
  return next ? { result, next } : result;
}

/** The child started ahead when it started; undefined when it did not (or the launcher went away). */
async function adopt(taken: AheadProcess): Promise<StartedChild | undefined> {
  try {
    return await taken.started;
  } catch (e) {
    if (e instanceof LauncherUnavailableError) return undefined;
    throw e;
  }
}

/** Start through the launcher when it is usable, else with Node's spawn (same behaviour but one gap: process-tree.ts). */
async function startChild(argv: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): Promise<StartedChild> {
  const launcher = getLauncher();
  if (launcher) {
    try {
      return await launcher.start(argv, cwd, env);
    } catch (e) {
      if (!(e instanceof LauncherUnavailableError)) throw e;
    }
  }
  return nodeSpawn(argv, cwd, env);
}

function nodeSpawn(argv: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): Promise<StartedChild> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env,
      detached: true,
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const exited = new Promise<ExitStatus>((done) => child.once('exit', (code, signal) => done({ code, signal })));
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      child.on('error', () => undefined); // a kill() failure on a running child: nothing to report
      const pid = child.pid!;
      watchOverChild(pid);
      const kill = treeKiller(pid);
      resolve({ pid, stdout: child.stdout!, stderr: child.stderr!, exited, kill, release: () => releaseFromWatchdog(pid) });
    });
  });
}

function supervise(
  child: StartedChild,
  opts: RunOptions,
  argv: string[],
  started: number,
  base: () => ProcessResult,
): Promise<ProcessResult> {
  const pid = child.pid;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const captureLimit = opts.captureLimit ?? DEFAULT_CAPTURE_LIMIT;
  const previewLimit = Math.min(opts.previewLimit ?? DEFAULT_PREVIEW_LIMIT, captureLimit);
  const spillDir = opts.spillDir;
  const out = new StreamCapture(child.stdout!, {
    kind: 'stdout', captureLimit, previewLimit, spillDir, pid, onChunk: opts.onStdout, discard: opts.discardOutput,
  });
  const err = new StreamCapture(child.stderr!, {
    kind: 'stderr', captureLimit, previewLimit, spillDir, pid, onChunk: opts.onStderr, discard: opts.discardOutput,
  });

  return new Promise<ProcessResult>((resolve) => {
    let killReason: KillReason | undefined;
    let cancelReason: unknown;
    let exited = false;
    let settled = false;
    let aheadStarted: Promise<boolean> | undefined;

    const finish = async (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      if (onAbort) opts.signal!.removeEventListener('abort', onAbort);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      child.release?.();
      try {
        // A program started ahead after it started: the launcher saw this program exit with status 0 before reading
        // the cancel we sent ahead of the kill, so the kill came too late to matter.
        if (killReason && (await aheadStarted)) {
          killReason = undefined;
          cancelReason = undefined;
        }
        const timeoutNote =
          killReason === 'timeout' ? `\nProcess killed after timeout of ${formatSeconds(opts.timeoutMs!)} seconds` : '';
        if (timeoutNote) err.append(Buffer.from(timeoutNote));
        const [o, e] = await Promise.all([out.result(), err.result()]);
        const result = buildResult(base(), { pid, exitCode, signal, killReason, cancelReason, o, e, started, timeoutNote });
        resolve(result);
      } catch (error) {
        resolve({ ...base(), exitCode: TaskExit.CANNOT_EXECUTE, spawnError: `internal error: ${(error as Error).message}` });
      }
    };

    try {
      opts.onSpawn?.(pid, child);
    } catch {
      /* a failing listener does not stop the run */
    }

    const startKill = (reason: KillReason) => {
      if (killReason || exited) return;
      killReason = reason;
      // Before the kill, so the launcher reads the cancels before it sees the exit (this run's
      // own `ahead.next` and any program started ahead after it since, by an agent's Execute sent ahead).
      aheadStarted = child.stopStartingAhead?.();
      child.kill('SIGTERM');
      const killNow = () => {
        forgetGrace();
        child.kill('SIGKILL');
      };
      const forgetGrace = duringKillGrace(killNow, opts.hurry);
      later(opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS, killNow);
      void child.exited.then(forgetGrace);
    };

    if (opts.timeoutMs && opts.timeoutMs > 0) later(opts.timeoutMs, () => startKill('timeout'));
    let onAbort: (() => void) | undefined;
    if (opts.signal) {
      const signal = opts.signal;
      onAbort = () => {
        cancelReason = signal.reason;
        startKill('cancel');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort(); // aborted while the program was being started
    }

    void child.exited.then(({ code, signal, lost }) => {
      exited = true;
      if (lost) err.append(Buffer.from(`\n${lost}; the task's process group was killed`));
      const streamsDone = () => Promise.all([out.done, err.done]);
      const settle = () => void finish(code, signal);
      if (out.finished && err.finished && !killReason) return settle();
      // Some group member may still hold our pipes (or a killed run left stragglers): give the
      // pipes a short drain, kill the rest of the group, then stop reading whatever is left.
      let killedAt: number | undefined;
      const escalate = () => {
        if (settled) return;
        if (killedAt === undefined) {
          killedAt = performance.now();
          // After a kill, the whole tree; after a normal exit, only group members still holding
          // our pipes: what left the group on purpose (a daemon) is left alone.
          if (killReason) child.kill('SIGKILL');
          else killProcessGroup(pid, 'SIGKILL');
          later(PIPE_DRAIN_MS, escalate);
          return;
        }
        // Decide after this turn's I/O: a timer that fires late (the event loop was busy, e.g.
        // reading another task's spill file) would otherwise see pipes with data waiting in them
        // as idle, and cut the output (a condition on it would then silently go the other way).
        setImmediate(() => {
          if (settled) return;
          // Still reading (or waiting on the spill file)? Keep going, up to a hard cap, so output
          // already in the pipe is not lost; a process outside the group could write forever.
          const busy = out.busyWithin(PIPE_DRAIN_MS) || err.busyWithin(PIPE_DRAIN_MS);
          if (busy && performance.now() - killedAt! < MAX_DRAIN_AFTER_KILL_MS) {
            later(PIPE_DRAIN_MS, escalate);
            return;
          }
          const open = [out.finished ? '' : 'stdout', err.finished ? '' : 'stderr'].filter(Boolean);
          out.destroySource();
          err.destroySource();
          if (open.length) err.append(Buffer.from(`\n${open.join(' and ')} not read to the end: a process outside the task's group kept the pipe open`));
          settle();
        });
      };
      void streamsDone().then(() => {
        if (killReason) child.kill('SIGKILL'); // SIGTERM-ignoring stragglers
        settle();
      });
      later(PIPE_DRAIN_MS, escalate);
    });
  });
}

interface Outcome {
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  killReason: KillReason | undefined;
  cancelReason: unknown;
  o: CaptureResult;
  e: CaptureResult;
  started: number;
  timeoutNote: string;
}

function buildResult(result: ProcessResult, x: Outcome): ProcessResult {
  result.pid = x.pid;
  result.signal = x.signal;
  result.exitCode =
    x.exitCode ?? (x.signal ? signalExitCode(osConstants.signals[x.signal] ?? 0) : ExitCode.ERROR);
  if (x.killReason === 'timeout') {
    result.timedOut = true;
    result.exitCode = TaskExit.TIMED_OUT;
  } else if (x.killReason === 'cancel') {
    result.canceled = true;
    result.exitCode = cancelExitCode(x.cancelReason);
  }
  applyCaptures(result, x.o, x.e);
  if (x.killReason === 'timeout' && x.e.truncated) result.stderr += x.timeoutNote; // preview too
  result.durationMs = performance.now() - x.started;
  return result;
}

/** 130 for 'SIGINT', 143 for 'SIGTERM', 125 for any other abort reason. */
export function cancelExitCode(reason: unknown): number {
  if (reason === 'SIGINT') return CANCEL_EXIT_CODES.SIGINT;
  if (reason === 'SIGTERM') return CANCEL_EXIT_CODES.SIGTERM;
  return CANCEL_EXIT_CODES.other;
}

/** 30000 → "30", 1500 → "1.5", 250 → "0.25". */
export function formatSeconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
