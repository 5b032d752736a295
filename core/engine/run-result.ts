/**
 * The --output-json document of a run (docs/schemas/run-result.schema.json is its published
 * schema; test/docs/schemas.test.ts checks real outputs against it). Snake_case keys: a contract.
 */
import type { HostTallies } from '../../shared/hosts/index.js';
import type { Decision } from './decision-log.js';

/** One explained decision in the JSON `decisions` (docs/task-files.md "Explained decisions"). */
export type DecisionJson = Decision;
import type { RunStatus } from './types.js';

export interface AttemptResult {
  attempt: number;
  exit_code: number;
  success: boolean;
  timed_out: boolean;
  duration_seconds: number;
  /** The wait before this attempt (absent on the first). */
  delay_before_seconds?: number;
}

export interface TaskResultJson {
  exit_code: number;
  stdout: string;
  stderr: string;
  success: boolean;
  timed_out: boolean;
  skipped: boolean;
  duration_seconds: number;
  hostname: string;
  command: string;
  /** Set when a stream was larger than the in-memory limit: the file that held it during the run. */
  stdout_file?: string;
  stderr_file?: string;
  /** Every run of a task with a retry policy, first to last. */
  attempts?: AttemptResult[];
}

export interface RunResult {
  workflow_metadata: {
    task_file: string;
    execution_id: string;
    status: RunStatus;
    exit_code: number;
    start_time: string;
    end_time: string;
    duration_seconds: number;
    log_file: string | null;
    /** The `-p` project summary holding the run's row; null without `-p` (or when it could not be written). */
    summary_file: string | null;
    /** The `--auto-recovery` state file (`--recovery-file`, else under BASE/recovery); null without `--auto-recovery`. */
    recovery_file: string | null;
  };
  execution_summary: {
    total_tasks: number;
    executed: number;
    succeeded: number;
    failed: number;
    timeouts: number;
    execution_path: number[];
    loop_iterations: string[];
    skipped_tasks: number[];
    final_task: number | null;
    /** Present when the run failed. */
    failure_info?: { task_id: number | null; exit_code: number; error: string };
  };
  /** By result key: "3", "3.2" (a loop iteration), "4-401" (a block's sub-task). */
  task_results: Record<string, TaskResultJson>;
  hosts: HostTallies;
  variables: Record<string, string>;
  warnings: string[];
  /** The explained flow decisions by result key, in the order made (docs/task-files.md "Explained decisions"). */
  decisions: Record<string, DecisionJson[]>;
}
