/**
 * Start ahead, for one process: the program to start the moment this one exits with status 0 on
 * its own (the launcher starts it without waiting for Node), and the program started ahead that a
 * run supervises instead of starting its argv anew. See runProcessStartingAhead; the executors'
 * side of the same seam is core/executors/start-ahead.ts.
 */
import type { AheadProcess } from './launcher-child.js';
import type { ProcessResult } from './types.js';

/** The program to start ahead: argv as for runProcess. */
export interface AheadCommand {
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ProcessStartAhead {
  /** Start this the moment the run's program exits with status 0 on its own (ignored without the launcher). */
  next?: AheadCommand;
  /** Supervise this program, started ahead by an earlier run's `next`, when it started. */
  taken?: AheadProcess;
}

export interface ProcessStartAheadResult {
  result: ProcessResult;
  /** The handle of `next`, when the launcher took it: pass it as `taken` to the run that supervises it. */
  next?: AheadProcess;
}

/**
 * Makes sure a program started ahead that nobody will supervise does not run: cancels it, and
 * when it had started already, kills its process group and stops reading its output. Resolves
 * true when it had started.
 */
export async function discardAheadProcess(ahead: AheadProcess): Promise<boolean> {
  ahead.cancel();
  const child = await ahead.started.catch(() => undefined);
  if (!child) return false;
  child.kill('SIGKILL');
  child.stdout.destroy();
  child.stderr.destroy();
  return true;
}
