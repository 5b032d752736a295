/** How a distributed run ended, and what its records say beyond the agent's result: its exit code, reruns, a tasker file's own failure. */
import { splitArgs } from '../../shared/exec/index.js';
import { failureDetailOf, type ResultMessage } from '../../shared/nats/index.js';
import type { SecondResult } from './result-reader.js';
import { describeFailure, readFailureDetail, taskerArguments, type RunCounts, type TaskRecord } from '../parallelr/index.js';
import { ParallelrExit } from '../../shared/exit-codes.js';

export interface DistributedResult {
  runId: string;
  /** As local parallelr: 0 when every task succeeded, 1 when any failed or was cancelled, 130/143 after SIGINT/SIGTERM. */
  exitCode: number;
  /** One per task: completion order, never-started ones last. */
  records: TaskRecord[];
  counts: RunCounts;
  resultsFile?: string;
  stopReason?: string;
  interrupted?: string;
  /** Results that arrived twice for the same (run, seq) and were ignored. */
  duplicates: number;
  /** Jobs that ran more than once (an agent was lost mid-job, or two executions both finished), with the cause. */
  ranMoreThanOnce: RanMoreThanOnce[];
  /** Jobs (re)published by this call. */
  published: number;
  elapsedSeconds: number;
  /** Set when the run could not start or attach (printed already, without a stack trace). */
  error?: string;
}

export interface RanMoreThanOnce {
  seq: number;
  taskFile: string;
  /** How many executions are known (at least 2). */
  runs: number;
  cause: string;
}

/** As local parallelr: 130/143 after SIGINT/SIGTERM, 1 when a task failed or was cancelled, else 0. */
/** Jobs that ran more than once, as the result reader reports them (named live and in the summary). */
export function trackRanMoreThanOnce(note: (text: string) => void) {
  const list = new Map<number, RanMoreThanOnce>();
  return {
    list,
    /** A landed result whose record says it ran more than once. */
    landed(r: ResultMessage, rec: TaskRecord): void {
      if (!rec.runs) return;
      list.set(r.seq, { seq: r.seq, taskFile: r.task_file, runs: rec.runs, cause: rec.rerun_cause ?? '' });
      note(`parallelr: ${r.task_file} ran ${rec.runs} times: ${rec.rerun_cause}`);
    },
    /** A second result for a job already recorded: ignored, but named. */
    secondResult({ first, second }: SecondResult): void {
      const known = list.get(second.seq);
      const cause = `agent ${second.agent} (delivery ${second.delivery}) also ran it to the end, after agent ${first.agent} (delivery ${first.delivery}); its result was ignored`;
      list.set(second.seq, { seq: second.seq, taskFile: second.task_file, runs: (known?.runs ?? 1) + 1, cause: known ? `${known.cause}; ${cause}` : cause });
      note(`parallelr: ${second.task_file} ran more than once: ${cause}`);
    },
  };
}

export function runExitCode(interrupted: string | undefined, counts: RunCounts): number {
  if (interrupted === 'SIGINT') return ParallelrExit.SIGINT;
  if (interrupted) return ParallelrExit.SIGTERM;
  return counts.failed > 0 || counts.cancelled > 0 ? ParallelrExit.FAILED : ParallelrExit.SUCCESS;
}

/** The summary's lines for jobs that ran more than once (none: nothing). */
export function formatRanMoreThanOnce(list: RanMoreThanOnce[]): string {
  if (!list.length) return '';
  const lines = list.sort((a, b) => a.seq - b.seq).map((r) => `\n  - ${r.taskFile} (seq ${r.seq}): ran ${r.runs} times: ${r.cause}`);
  return `\n- Ran more than once: ${list.length}${lines.join('')}`;
}

/** Whether the run's command template runs tasker itself (then its failures are read as tasker's). */
export function runsTasker(command: string): boolean {
  const split = splitArgs(command);
  return !split.error && taskerArguments(split.args) !== undefined;
}

/**
 * A failed tasker file's record with what tasker said about the failure, as the agent read it from
 * the job's output (the same reading as a local run, shared/failure-detail.ts), or from the result's
 * output tails (an older agent): the failing task's
 * own exit code (`task_exit_code`), or a refused file's first diagnostics in `error_message`.
 */
export function withTaskerDetail(record: TaskRecord, r: ResultMessage): TaskRecord {
  if (r.status !== 'FAILED' || r.exit_code === null) return record;
  const detail = r.failure_detail ? failureDetailOf(r.failure_detail) : readFailureDetail(r.exit_code, r.stdout_tail, firstWholeLines(r.stderr_tail));
  if (detail.taskExitCode === undefined && detail.reason === undefined) return record;
  return {
    ...record,
    error_message: describeFailure(r.exit_code, detail),
    ...(detail.taskExitCode !== undefined ? { failed_task: detail.failedTask, task_exit_code: detail.taskExitCode } : {}),
  };
}

/** A tail may start mid-line: drop that partial first line. */
function firstWholeLines(tail: string): string {
  const nl = tail.indexOf('\n');
  return nl === -1 || /^\S+:\d+:\d+: /.test(tail) ? tail : tail.slice(nl + 1);
}
