/**
 * Running a task's command again when it fails (or times out, if asked): the attempts, the waits
 * between them, and what is shown and recorded. An attempt of a task is labelled
 * `Task 3 attempt 2/4` (`Task 3.2 attempt 2/4` in a loop), never `3.2`, which names a loop
 * iteration. A block sub-task's attempt keeps the peer's label `Task 4-401.2`: sub-tasks cannot
 * loop, so there `.k` is never an iteration, and the peer's test cases read attempts in that form.
 * The result kept under the task's key is its last attempt's, with every attempt in `attempts`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { retryDelayAfter, shouldRetry, type RetryPolicy } from '../../shared/taskfile/retry-policy.js';
import type { RunLog } from './run-log.js';
import type { AttemptRecord, TaskResult } from './types.js';
import type { AttemptResult } from './run-result.js';

/** Which attempt a run is, for its log label. */
export interface Attempt {
  n: number;
  of: number;
}

/** `task`: an ordinary task or loop iteration; `sub-task`: a block's sub-task. */
export type AttemptForm = 'task' | 'sub-task';

export function attemptLabel(key: string, attempt: Attempt | undefined, form: AttemptForm = 'task'): string {
  if (!attempt) return key;
  return form === 'sub-task' ? `${key}.${attempt.n}` : `${key} attempt ${attempt.n}/${attempt.of}`;
}

/** The label of a task's first run: `3 attempt 1/4` with a policy, else the key. */
export function firstRunLabel(key: string, policy: RetryPolicy | undefined): string {
  return attemptLabel(key, policy ? { n: 1, of: policy.retries + 1 } : undefined);
}

export interface RetryRun {
  policy: RetryPolicy | undefined;
  /** The task's result key ("3", "3.2", "4-401"). */
  key: string;
  log: RunLog;
  /** Aborted on SIGINT/SIGTERM (or a block's master timeout): no further attempt, no wait. */
  signal: AbortSignal | undefined;
  /** The route after an attempt, for the decision (its success) waiting at `key`: `retry in 1 s (attempt 2/3)`. */
  routed?: (route: string) => void;
  /** One run of the command; it stores its result under `key`. */
  run: (attempt: Attempt | undefined) => Promise<TaskResult>;
}

/** Run until an attempt needs no retry, the attempts are used up, or the run is stopped. */
export async function runWithRetries(r: RetryRun): Promise<TaskResult> {
  const { policy, key, log, signal } = r;
  if (!policy) return r.run(undefined);
  const of = policy.retries + 1;
  const attempts: AttemptRecord[] = [];
  let waitedS: number | undefined;
  for (let n = 1; ; n++) {
    const result = await r.run({ n, of });
    attempts.push({ attempt: n, exitCode: result.exitCode, success: result.success, timedOut: result.timedOut, durationMs: result.durationMs, ...(waitedS !== undefined ? { delayBeforeS: waitedS } : {}) });
    // The stored result is this object: the attempts list goes with it to @N_…@, the JSON and recovery.
    result.attempts = attempts;
    const what = result.timedOut ? 'timed out' : `failed (exit code ${result.exitCode}${result.exitCode === 0 ? ', success condition false' : ''})`;
    if (!shouldRetry(policy, result)) {
      if (result.success) {
        if (n > 1) log.info(`Task ${key}: succeeded on attempt ${n}/${of}`);
      } else {
        log.info(`Task ${key}: attempt ${n}/${of} ${what}; not retried: retry_on=${policy.on} does not retry ${result.timedOut ? 'a timeout' : 'a failure'}`);
      }
      return result;
    }
    if (n === of) {
      log.info(`Task ${key}: attempt ${n}/${of} ${what}; no attempts left, the task failed`);
      return result;
    }
    if (signal?.aborted) return result;
    waitedS = retryDelayAfter(policy, n);
    r.routed?.(`retry in ${waitedS} s (attempt ${n + 1}/${of})`);
    log.info(`Task ${key}: attempt ${n}/${of} ${what}; retrying in ${waitedS} s`);
    try {
      // Rejects at once on abort and clears its timer: a stop never waits out the delay.
      await delay(waitedS * 1000, undefined, { signal });
    } catch {
      log.info(`Task ${key}: stopped while waiting to retry; attempt ${n + 1}/${of} does not run`);
      return result;
    }
  }
}

/** The JSON form of a task's attempts (`task_results[KEY].attempts`). */
export function attemptsJson(attempts: AttemptRecord[]): AttemptResult[] {
  return attempts.map((a) => ({
    attempt: a.attempt, exit_code: a.exitCode, success: a.success, timed_out: a.timedOut,
    duration_seconds: Math.round(a.durationMs) / 1000,
    ...(a.delayBeforeS !== undefined ? { delay_before_seconds: a.delayBeforeS } : {}),
  }));
}
