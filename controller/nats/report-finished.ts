/** `parallelr --resume` of a distributed run that already finished. */
import type { CliIo } from '../../shared/cli-io.js';
import { countRecords } from '../parallelr/index.js';
import { readWrittenRecords } from './records.js';
import { runExitCode, type DistributedResult } from './run-outcome.js';
import { stopSignal, type RunState } from './run-state.js';

/**
 * `--resume` of a run that finished: its results file is its record (jobs cancelled before they
 * started have no stored result to wait for); report it, with the run's own exit code, and write nothing.
 */
export function reportFinished(state: RunState, io: CliIo): DistributedResult {
  const records = readWrittenRecords(state.resultsFile);
  const counts = countRecords(records);
  const interrupted = stopSignal(state.cancelCause);
  io.stdout.write(
    `Run ${state.runId} already finished; results in ${state.resultsFile}: ${records.length} of ${state.files.length} task files recorded, ` +
      `${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.cancelled} cancelled${state.stopReason ? ` (stopped: ${state.stopReason})` : ''}\n`,
  );
  return {
    runId: state.runId, exitCode: runExitCode(interrupted, counts), records, counts, resultsFile: state.resultsFile,
    stopReason: state.stopReason, interrupted, duplicates: 0, ranMoreThanOnce: [], published: 0, elapsedSeconds: 0,
  };
}
