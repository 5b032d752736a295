import type { FailureDetail } from '../../shared/failure-detail.js';
import type { OutputTail } from './task-output.js';
import type { TaskStatus } from './types.js';

/** What running one task produced, whichever way it ran. */
export interface TaskOutcome {
  exitCode: number | null;
  status: TaskStatus;
  error: string;
  stdout: OutputTail;
  stderr: OutputTail;
  /** A tasker command's own account of its failure (failure-detail.ts). */
  detail?: FailureDetail;
}

/** How a task is run: where, with what environment, how much output kept, and what stops it. */
export interface TaskRunSettings {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Characters of each stream kept (0: none). */
  capture: number;
  timeoutSeconds: number;
  killGraceMs: number;
  /** The run's shared stop signal (interrupt or stop limit). */
  stop: AbortSignal;
  /** The command is tasker: keep its stdout's end and stderr's start to read its failure from. */
  detail?: boolean;
}

/** The error message of a task cancelled because the run stopped for `reason`. */
export function cancelMessage(reason: unknown): string {
  if (reason === 'STOP_LIMIT') return 'Task cancelled (stop limit reached)';
  if (reason === 'SIGINT' || reason === 'SIGTERM') return `Task cancelled (${reason})`;
  return 'Task cancelled';
}
