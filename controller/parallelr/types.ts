/** Final state of one task entry in a parallelr run. */
export type TaskStatus = 'SUCCESS' | 'FAILED' | 'TIMEOUT' | 'CANCELLED' | 'ERROR';
export const TASK_STATUSES: readonly TaskStatus[] = ['SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED', 'ERROR'];

/** One unit of work: a task file, a line of an arguments file, or both. */
export interface TaskEntry {
  /** 1-based position in discovery order. */
  index: number;
  /** The task file as the user named it (relative stays relative); null in arguments-only mode. */
  taskFile: string | null;
  /** Absolute path substituted for `@TASK@`; null in arguments-only mode. */
  taskPath: string | null;
  /** Fields of the arguments-file line (`@ARG@` = first, `@ARG_n@` = n-th); empty in file mode. */
  arguments: string[];
  /** `-E` variables for this entry (name → value), also exported to the child. */
  envVars: Record<string, string>;
}

/** One line of the JSON-lines results file. The keys and their order are a contract. */
export interface TaskRecord {
  session_id: string;
  task_file: string | null;
  arguments: string[];
  command: string;
  status: TaskStatus;
  exit_code: number | null;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number;
  /** Pool slot (1..max workers) that ran it; null when it never started. */
  worker: number | null;
  /** Agent that ran it in distributed mode; null locally. */
  agent: string | null;
  error_message: string;
  /**
   * Distributed mode, only for a job that ran more than once (an agent lost mid-job): how many
   * times it ran, and why it ran again. Absent otherwise.
   */
  runs?: number;
  rerun_cause?: string;
  /**
   * Tasker commands only (docs/parallelr.md "Records"): the task file's tasker log, the task whose
   * failure ended it and that task's own exit code, and what was capped or lost on the way back
   * from an agent. Absent when unknown.
   */
  log_file?: string;
  failed_task?: string;
  task_exit_code?: number | null;
  records_note?: string;
}

/** The keys of {@link TaskRecord}, in file order. */
export const TASK_RECORD_KEYS = [
  'session_id',
  'task_file',
  'arguments',
  'command',
  'status',
  'exit_code',
  'start_time',
  'end_time',
  'duration_seconds',
  'worker',
  'agent',
  'error_message',
] as const;

/** Keys written after those, only when a record has them (a distributed job that ran more than once). */
export const OPTIONAL_RECORD_KEYS = ['runs', 'rerun_cause', 'log_file', 'failed_task', 'task_exit_code', 'records_note'] as const;
