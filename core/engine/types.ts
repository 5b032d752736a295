/** What the engine records about a run. These shapes feed the console, the log and --output-json. */
import type { Decision } from './decision-log.js';

/** Where a command runs: `local` (this machine), `ssh` (exec=ssh) or `agent:NAME`. */
export type RanOn = 'local' | 'ssh' | `agent:${string}`;

export interface TaskResult {
  /** "3", "3.2" for a loop iteration, "4-401" for a block sub-task. */
  key: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  stdoutFile?: string;
  stderrFile?: string;
  success: boolean;
  timedOut: boolean;
  skipped: boolean;
  durationMs: number;
  hostname: string;
  /** The command line as shown to operators (secrets masked). */
  command: string;
  /** Where the command ran (`local`, `ssh`, `agent:NAME`); absent when no command ran. */
  ranOn?: RanOn;
  /** The executor could not reach the agent or the ssh host: nothing ran. */
  unreachable?: boolean;
  /** Every run of a task with a retry policy, first to last (the fields above are the last's). */
  attempts?: AttemptRecord[];
}

/** One run of a retried task's command. */
export interface AttemptRecord {
  /** 1-based. */
  attempt: number;
  exitCode: number;
  success: boolean;
  timedOut: boolean;
  durationMs: number;
  /** The wait before this attempt (absent on the first). */
  delayBeforeS?: number;
}

export type RunStatus = 'success' | 'failed';

export interface RunOutcome {
  exitCode: number;
  status: RunStatus;
  /** Why the run ended, for logs and the JSON failure_info. */
  reason: string;
  results: Map<string, TaskResult>;
  /** Top-level ids in the order they ran (repeated on revisits). */
  executionPath: number[];
  loopIterations: string[];
  skippedTasks: number[];
  finalTask?: number;
  finalHostname: string;
  finalCommand: string;
  /** Set when the run stopped on SIGINT/SIGTERM. */
  interrupted?: 'SIGINT' | 'SIGTERM';
  failedTask?: number;
  /** The explained decisions by result key, kept for --output-json (decision-log.ts). */
  decisions?: Map<string, Decision[]>;
  /** Hosts the pre-run checks could not reach (no task ran); counted in the host recap. */
  unreachableHosts?: { host: string; ranOn?: RanOn }[];
}
