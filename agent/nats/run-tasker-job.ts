/**
 * A NATS job whose command is tasker itself (the rule local parallelr uses, shared/exec/tasker-command.ts)
 * runs the shipped task file with the engine in this process: no Node process per file. A job with
 * `in_process: false` (`parallelr --no-in-process`) is started as a process, as local parallelr does.
 *
 * - No remote placement: an agent does not place tasks on other agents or over SSH. A file that
 *   needs them is started as a process, the tasker bin of the job's command, as before: the
 *   in-process run finds it in preflight (`onRemoteNeeds`), before it writes or runs anything, and
 *   ends; what it printed until then (load warnings) is dropped, but a `--watch` has seen it.
 * - The same abort rules as a started job (shared/run-cli-in-process.ts): the job's timeout,
 *   the run's cancel and the agent's shutdown abort the run, and the engine kills the process group
 *   of every task it started (SIGTERM, SIGKILL after the grace).
 * - The run's working directory is the job's workspace (`io.cwd`, never a chdir of this process):
 *   relative paths resolve and tasks start there, as in a started `tasker` whose cwd it is.
 * - Console output goes to the result's tails; statuses and exit codes are the started run's.
 * - Secret names: the runs of every controller share this process, so each config's
 *   `secrets.names` add to the others' (keepEverySecretName) instead of replacing them.
 */
import { rmSync } from 'node:fs';
import { DEFAULT_KILL_GRACE_MS, taskerArguments } from '../../shared/exec/index.js';
import { runCliInProcess, type CliMain } from '../../shared/run-cli-in-process.js';
import { TaskExit } from '../../shared/exit-codes.js';
import { failureDetailMessage, tail, type JobStatus, type ResultMessage } from '../../shared/nats/index.js';
import { keepEverySecretName } from '../../shared/taskfile/secret-names.js';
import type { MadeRecords } from '../../core/run/index.js';
import { DETAIL_BYTES, HeadBuffer, readFailureDetail } from '../../shared/failure-detail.js';

/** What an in-process job produced: its status and the result fields run-job.ts does not set itself. */
export interface TaskerJobOutcome {
  status: JobStatus;
  fields: Partial<ResultMessage>;
}

export interface TaskerJobSettings {
  /** The job's own workspace: the run's working directory. */
  workspace: string;
  timeoutSec: number;
  /** Characters of stdout/stderr kept in the result. */
  outputTail: number;
  signal?: AbortSignal;
  /** Ends the kill grace of the run's tasks at once (run-job.ts). */
  hurry?: AbortSignal;
  /** Between SIGTERM and SIGKILL of a stopped task's process group; default 2 s, as for a started job. */
  killGraceMs?: number;
  /** Sees the output as it comes (`parallelr --watch`), as for a started job. */
  output?: { onStdout: (chunk: Buffer) => void; onStderr: (chunk: Buffer) => void };
  /** Gets the run's records from its record stage (RunOptions.onRecords; ship-records.ts). */
  onRecords?: (made: MadeRecords) => boolean;
  /** The job's `in_process`: false (`parallelr --no-in-process`) starts the tasker bin as a process. */
  inProcess?: boolean;
  /** Rewrites what the run prints before it is kept in the tails (run-job.ts: the shipped copy named as the operator's file). */
  named?: (text: string) => string;
  /** Puts the `--auto-recovery` state the job brought where the run looks for it (recovery-travel.ts). */
  onRecoveryFile?: (path: string) => void;
}

type Core = typeof import('../../core/run/index.js');
let core: Promise<Core | undefined> | undefined;

/** The engine, loaded on the first tasker job; undefined (and jobs are started as processes) when it cannot load. */
function loadCore(): Promise<Core | undefined> {
  // Runs of different controllers (and configs) share this process: none may drop another's secret names.
  keepEverySecretName();
  core ??= import('../../core/run/index.js').catch(() => undefined);
  return core;
}

let env: NodeJS.ProcessEnv | undefined;

/**
 * The environment a started job inherits, taken once: a frozen object lets the launcher encode it
 * once for every task (shared/cli-io.ts).
 */
function agentEnv(): NodeJS.ProcessEnv {
  env ??= Object.freeze({ ...process.env });
  return env;
}

/**
 * Runs `argv` in-process when it runs tasker and its file needs no agent or SSH; otherwise
 * undefined, and the caller starts it as a process. Never throws.
 */
export async function runTaskerJob(argv: readonly string[], s: TaskerJobSettings): Promise<TaskerJobOutcome | undefined> {
  if (s.inProcess === false) return undefined;
  const args = taskerArguments(argv);
  if (!args) return undefined;
  const run = await loadCore();
  if (!run) return undefined;
  const io = { env: agentEnv(), cwd: s.workspace };
  const named = s.named ?? ((text: string) => text);
  // One end of stdout for both the result's tail and why a failed run failed, read as local
  // parallelr reads it (shared/failure-detail.ts): its stdout's end and its stderr's start.
  const outEnd = keepTail(Math.max(s.outputTail, DETAIL_BYTES));
  const err = keepTail(s.outputTail);
  const errStart = new HeadBuffer(DETAIL_BYTES);
  // A file that needs agents or SSH ends the run before it writes or runs anything (preflight):
  // the caller then starts the tasker bin for it. One read of the file decides both.
  let handedBack = false;
  let recoveryFile: string | undefined;
  const onRecoveryFile = s.onRecoveryFile && ((path: string) => s.onRecoveryFile!((recoveryFile = path)));
  const main: CliMain = (a, runIo) => run.runTaskerWith(a, runIo, { onRemoteNeeds: () => (handedBack = true), onRecords: s.onRecords, onRecoveryFile });
  // The run's own times, as a local run records them (the engine's first load is not the file's).
  const started = new Date();
  const fields = (): Partial<ResultMessage> => {
    const ended = new Date();
    return {
      stdout_tail: tail(outEnd.text(), s.outputTail),
      stderr_tail: err.text(),
      start_time: started.toISOString(),
      end_time: ended.toISOString(),
      duration_seconds: Math.round((ended.getTime() - started.getTime()) / 10) / 100,
    };
  };
  try {
    const r = await runCliInProcess(main, args, {
      ...io,
      timeoutSeconds: s.timeoutSec,
      stop: s.signal,
      hurry: s.hurry,
      killGraceMs: s.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      stdout: (text) => (outEnd.push(named(text)), s.output?.onStdout(Buffer.from(text))),
      stderr: (text) => {
        const shown = named(text);
        err.push(shown);
        errStart.push(shown);
        s.output?.onStderr(Buffer.from(text));
      },
    });
    if (handedBack) {
      // Started as a process instead, which is given the state the job brought (recovery-travel.ts): none left here.
      if (recoveryFile) rmSync(recoveryFile, { force: true });
      return undefined;
    }
    if (r.timedOut) return { status: 'TIMEOUT', fields: { ...fields(), exit_code: TaskExit.TIMED_OUT, error_message: `Timeout after ${s.timeoutSec}s` } };
    if (r.stopped) return { status: 'CANCELLED', fields: { ...fields(), error_message: 'Task cancelled' } };
    if (r.exitCode === TaskExit.SUCCESS) return { status: 'SUCCESS', fields: { ...fields(), exit_code: TaskExit.SUCCESS } };
    const detail = failureDetailMessage(readFailureDetail(r.exitCode, tail(outEnd.text(), DETAIL_BYTES), errStart.result()));
    return { status: 'FAILED', fields: { ...fields(), exit_code: r.exitCode, error_message: `Exit code ${r.exitCode}`, ...(detail ? { failure_detail: detail } : {}) } };
  } catch (e) {
    return { status: 'ERROR', fields: { ...fields(), error_message: `Error: in-process tasker failed: ${(e as Error).message}` } };
  }
}

/** The last `limit` characters of a stream, whatever it prints. */
function keepTail(limit: number): { push: (text: string) => void; text: () => string } {
  let kept = '';
  return {
    push: (text) => {
      if (limit > 0) kept = tail(kept + text, limit);
    },
    text: () => kept,
  };
}
