/** One run as the console lists it: what the runs page shows and where its records are. */

export type RunKind = 'tasker' | 'parallelr';
export type RunState = 'success' | 'failed' | 'running' | 'unknown';

export interface RunSummary {
  /** Stable id: the primary record's path under BASE, base64url. */
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

/** The id of a run whose primary record is `path`. */
export function runIdOf(path: string): string {
  return Buffer.from(path, 'utf8').toString('base64url');
}

/** The primary record's path of an id (undefined when the id is not one of ours). */
export function pathOfRunId(id: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(id)) return undefined;
  return Buffer.from(id, 'base64url').toString('utf8');
}
