/**
 * Every exit code, named, in one place: `tasker`'s (SPEC §2), `parallelr`'s (peer §14) and the
 * codes a task's result carries when its command could not run normally.
 */

/** Process exit codes of `tasker` and `tasker-agent` (SPEC §2). */
export const ExitCode = {
  SUCCESS: 0,
  /** The tool's surroundings failed (logs cannot be written, `dot` failed); also a generic failure. */
  ERROR: 1,
  USAGE: 2,
  /** A task or block failed and nothing routed the failure. */
  TASK_FAILED: 10,
  /** `--start-from` names a task that does not exist, or recovery refused. */
  START_FROM_INVALID: 12,
  VALIDATION_FAILED: 20,
  HOST_VALIDATION_FAILED: 21,
  NO_TASKS: 24,
  INSTANCE_LOCKED: 25,
  FILE_MISSING: 30,
  FILE_UNREADABLE: 31,
  RETURN_NOT_INTEGER: 50,
  /** A defect in the tool itself, caught by the last-resort handler (shared/last-resort-handler.ts). */
  INTERNAL_ERROR: 70,
  TIMEOUT: 124,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** parallelr's exit codes (peer §14, with interrupts as in SPEC §2); also its distributed mode and the NATS worker. */
export const ParallelrExit = {
  /** Every task succeeded; dry run; worker/config actions that went fine. */
  SUCCESS: 0,
  /** At least one task was not SUCCESS, or a fatal error (bad config, nothing to run, …). */
  FAILED: 1,
  /** Bad command line (with the usage line). */
  USAGE: 2,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

/** Exit codes a task's result carries when its command did not run to an exit of its own (shell conventions). */
export const TaskExit = {
  /** A task skipped by its condition, or a block's sub-task that never ran (JSON `exit_code` -1, as the peer). */
  NOT_RUN: -1,
  SUCCESS: 0,
  /** A block's aggregate: its rule (decision, all/any/majority of its sub-tasks) was not met. */
  BLOCK_FAILED: 1,
  /** The exec type's argv template could not be built. */
  BAD_TEMPLATE: 2,
  /** The task's timeout ended it (as timeout(1)). */
  TIMED_OUT: 124,
  /**
   * Cancelled for a reason other than SIGINT/SIGTERM (those give {@link ExitCode.SIGINT}/`SIGTERM`),
   * or an in-process run that did not settle after its cancel: timeout(1)'s "failed on its own behalf".
   */
  CANCELED: 125,
  /** The program could not be started. */
  CANNOT_EXECUTE: 126,
  /** The program was not found, or the task's exec type is not configured. */
  NOT_FOUND: 127,
  /** The host or agent could not be reached, or was lost mid-task (as ssh(1)). */
  UNREACHABLE: 255,
} as const;

/** The exit code of a process ended by signal number `n` (128 + n, as shells report it). */
export function signalExitCode(n: number): number {
  return 128 + n;
}
