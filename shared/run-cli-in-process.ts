/**
 * Running a CLI's `run(argv, io)` (the tasker engine) in this process under the rules a started
 * process gets: its own timeout and stop, output handed to the caller, never a chdir. Local
 * parallelr (controller/parallelr/run-in-process-task.ts) and the NATS agent
 * (agent/nats/run-tasker-job.ts) run task files in-process through it.
 *
 * Stopping is the run's abort signal (`io.signal`): the engine kills the process group of every
 * task it runs (SIGTERM, SIGKILL after its grace), records the interruption and returns. Should it
 * not settle after an abort, the wait ends `killGraceMs` + 5 s later with exit code 125, so one
 * stuck run cannot hold its caller.
 */
import { TaskExit } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import type { HostTallies } from './hosts/index.js';

/** A CLI entry point that runs in-process: tasker's `runTasker(argv, io)`. */
export type CliMain = (argv: string[], io: CliIo) => Promise<number>;

export interface InProcessRunOptions {
  /** The run's working directory (relative paths of the task file resolve against it). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Abort the run after this many seconds (reported as `timedOut`); 0 or undefined: no limit. */
  timeoutSeconds?: number;
  /** The caller's stop: the run is aborted with the same reason ('SIGINT' stays SIGINT, anything else SIGTERM). */
  stop?: AbortSignal;
  /** The caller's operator will not wait: the run's kill graces end at once (`io.hurry`). */
  hurry?: AbortSignal;
  /** The run's tasks' kill grace (`io.killGraceMs`); the wait after an abort is this plus 5 s. */
  killGraceMs: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  onHostTallies?: (hosts: HostTallies) => void;
}

export interface InProcessRunResult {
  exitCode: number;
  timedOut: boolean;
  /** Stopped by `stop` (not by the timeout). */
  stopped: boolean;
}

/** Runs `main(argv, io)` with its own timeout and stop; rejects only when `main` throws. */
export async function runCliInProcess(main: CliMain, argv: string[], o: InProcessRunOptions): Promise<InProcessRunResult> {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = o.timeoutSeconds ? setTimeout(() => {
    timedOut = true;
    ctl.abort('SIGTERM');
  }, o.timeoutSeconds * 1000) : undefined;
  const onStop = () => ctl.abort(o.stop?.reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  if (o.stop?.aborted) onStop();
  else o.stop?.addEventListener('abort', onStop, { once: true });
  const io: CliIo = {
    stdout: { write: (t: string) => o.stdout(t) },
    stderr: { write: (t: string) => o.stderr(t) },
    env: o.env,
    cwd: o.cwd,
    isTTY: false,
    signal: ctl.signal,
    hurry: o.hurry,
    killGraceMs: o.killGraceMs,
    onHostTallies: o.onHostTallies,
  };
  try {
    const exitCode = await settleAfterAbort(main(argv, io), ctl.signal, o.killGraceMs + 5000);
    return { exitCode, timedOut, stopped: !timedOut && Boolean(o.stop?.aborted) };
  } finally {
    clearTimeout(timer);
    o.stop?.removeEventListener('abort', onStop);
  }
}

/** The promise's value; once `signal` aborts, at most `graceMs` more before resolving with TaskExit.CANCELED (125) instead. */
function settleAfterAbort(p: Promise<number>, signal: AbortSignal, graceMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve(TaskExit.CANCELED), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
