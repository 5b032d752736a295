import { createHash } from 'node:crypto';

/** One run as the console lists it: what the runs page shows and where its records are. */

export type RunKind = 'tasker' | 'parallelr';
export type RunState = 'success' | 'failed' | 'running' | 'unknown';

export interface RunSummary {
  /** Stable id: a hash of the primary record's path. */
  id: string;
  kind: RunKind;
  /** The task file (tasker) or the command template / task paths (parallelr). */
  file: string;
  project?: string;
  status: RunState;
  exitCode?: number;
  /** Epoch milliseconds. */
  startMs: number;
  endMs?: number;
  durationSeconds?: number;
  /** Records found for this run (absolute paths). */
  logFile?: string;
  jsonFile?: string;
  resultsFile?: string;
  /** A distributed run's state file (its status: running, cancelled, done). */
  stateFile?: string;
  /** A distributed run's id on NATS. */
  natsRunId?: string;
  /** Live progress, when known: tasks done and in all. */
  done?: number;
  total?: number;
  failedTasks?: number;
}

/** The id of a run whose primary record is `path`: short (it is in every row and link), stable across restarts. */
export function runIdOf(path: string): string {
  return createHash('sha256').update(path).digest('base64url').slice(0, 16);
}
