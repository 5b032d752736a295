/** Process exit codes of `tasker` (SPEC §2). One place, named. */
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
