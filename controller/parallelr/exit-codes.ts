/** parallelr's exit codes (peer §14, with interrupts as in SPEC §2). */
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
