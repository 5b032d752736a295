/**
 * The small file that lets `parallelr --resume RUN_ID` re-attach to a distributed run after a
 * controller crash. It holds what to publish and where to write; the truth about what is done
 * lives in NATS (results stream) and what is still queued in the jobs stream.
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { makePrivateDir, writePrivateFile } from '../../shared/private-files.js';
import { join } from 'node:path';
import { isSubjectToken } from '../../shared/nats/index.js';
import type { StopLimitSettings } from '../parallelr/index.js';

export const RUN_STATE_VERSION = 1;

export interface RunFile {
  /** The task file as the operator named it. */
  taskFile: string;
  /** Absolute path read when the job is (re)published. */
  path: string;
}

export interface RunState {
  version: typeof RUN_STATE_VERSION;
  runId: string;
  createdAt: string;
  /** Where the results went; replayed on resume. */
  servers: string[];
  pool: string;
  command: string;
  timeoutSeconds: number;
  maxOutputCapture: number;
  stopLimits: StopLimitSettings | null;
  resultsFile: string;
  files: RunFile[];
  /** running → cancelled (stop limit / signal) → done. */
  status: 'running' | 'cancelled' | 'done';
  stopReason?: string;
  /** false with `--no-in-process` (sent in every job as `in_process`); absent: agents decide as before. */
  inProcess?: false;
  /** `--batch N`: task files per job message; absent: chosen from the pool's agents (fleet-probe.ts). */
  batch?: number;
  /** Why the run was cancelled (records.ts asLocalCancel), kept so --resume records the same rows. */
  cancelCause?: CancelCause;
  /** Main log, task output and records settings (run-records.ts); absent in older state files. */
  logging?: RunLogging;
}

/** Why a distributed run was cancelled, as local parallelr names it: the controller's signal, or a stop limit. */
export type CancelCause = 'SIGINT' | 'SIGTERM' | 'STOP_LIMIT';

/** The signal that stopped a run (a cause or a signal name), or undefined when none did. */
export function stopSignal(cause: string | undefined): 'SIGINT' | 'SIGTERM' | undefined {
  return cause === 'SIGINT' || cause === 'SIGTERM' ? cause : undefined;
}

/** How a distributed run writes its logs and lands its records. */
export interface RunLogging {
  level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
  maxBytes: number;
  backups: number;
  /** `--log-task-output` (or `logging.task_output_log`). */
  taskOutput: boolean;
  /** Bytes per shipped record file (`nats.records_max_mb`). */
  recordsCapBytes: number;
  /**
   * `execution.workspace_isolation`: the template's relative records paths (`-l`, `--output-json FILE`,
   * `--recovery-file`) land in each file's own `pid<PID>_task<N>` directory, as a local task's; absent: false.
   */
  isolatedWorkspaces?: boolean;
}

/** `<stateDir>/<runId>.json` */
export function runStatePath(stateDir: string, runId: string): string {
  return join(stateDir, `${runId}.json`);
}

/** Write atomically (temp file + rename), so a crash never leaves half a state file. */
export function writeRunState(stateDir: string, state: RunState): void {
  makePrivateDir(stateDir, { tighten: true });
  const path = runStatePath(stateDir, state.runId);
  const tmp = `${path}.${process.pid}.tmp`;
  writePrivateFile(tmp, JSON.stringify(state, null, 1) + '\n');
  renameSync(tmp, path);
}

/** Read a run's state; a readable error (naming the file) when it is missing or damaged. */
export function readRunState(stateDir: string, runId: string): RunState | { error: string } {
  if (!isSubjectToken(runId)) return { error: `--resume: \`${runId}\` is not a run id` };
  const path = runStatePath(stateDir, runId);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? `no run ${runId}: ${path} does not exist` : `cannot read ${path}: ${(e as Error).message}` };
  }
  let s: RunState;
  try {
    s = JSON.parse(text) as RunState;
  } catch (e) {
    return { error: `${path}: not valid JSON (${(e as Error).message})` };
  }
  if (s?.version !== RUN_STATE_VERSION || s.runId !== runId || !Array.isArray(s.files) || typeof s.command !== 'string') {
    return { error: `${path}: not a TASKER run-state file (version ${RUN_STATE_VERSION})` };
  }
  return s;
}

/** A new run id: `YYYYMMDDHHMMSS-xxxxxx` (UTC), a valid subject token. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const rand = Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0');
  return `${stamp}-${rand}`;
}

/** Record in the state file that the run finished (and why it stopped, if it did). */
export function markRunDone(stateDir: string, state: RunState, stopReason: string | undefined): void {
  state.status = 'done';
  if (stopReason) state.stopReason = stopReason;
  try {
    writeRunState(stateDir, state);
  } catch {
    // the run is finished; a stale state file only makes a later --resume re-read the results
  }
}

/**
 * Remove the state file of a new run that never reached NATS (it could not connect, JetStream did
 * not answer, its files could not be opened): nothing of it was published, so there is nothing to
 * resume, and a file left `running` would name a run that never was.
 */
export function forgetRunState(stateDir: string, runId: string): void {
  try {
    rmSync(runStatePath(stateDir, runId), { force: true });
  } catch {
    // the failure being reported matters more; a stale file only lets --resume publish the run later
  }
}
