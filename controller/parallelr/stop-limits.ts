import type { TaskStatus } from './types.js';

/** When auto-stop trips (peer §9): N consecutive failures, or a failure rate above R after M completions. */
export interface StopLimitSettings {
  maxConsecutiveFailures: number;
  /** 0..1; the run stops when failed/completed is strictly greater. */
  maxFailureRate: number;
  minTasksForRateCheck: number;
}

export interface StopLimitTracker {
  /**
   * Records one finished task (CANCELLED ones are not counted) and returns the reason to stop, or undefined.
   * Once tripped it keeps returning the same reason.
   */
  record(status: TaskStatus): string | undefined;
  readonly completed: number;
  readonly failed: number;
  readonly consecutiveFailures: number;
  readonly tripped: string | undefined;
}

/** A fresh tracker. Any non-SUCCESS status (FAILED, TIMEOUT, ERROR) is a failure; SUCCESS resets the streak. */
export function createStopLimitTracker(settings: StopLimitSettings): StopLimitTracker {
  let completed = 0;
  let failed = 0;
  let consecutive = 0;
  let tripped: string | undefined;
  return {
    record(status) {
      if (status === 'CANCELLED') return tripped;
      completed++;
      if (status === 'SUCCESS') consecutive = 0;
      else {
        failed++;
        consecutive++;
      }
      if (tripped) return tripped;
      if (consecutive >= settings.maxConsecutiveFailures) {
        tripped = `Auto-stop: ${consecutive} consecutive failures (limit: ${settings.maxConsecutiveFailures})`;
      } else if (completed >= settings.minTasksForRateCheck && failed / completed > settings.maxFailureRate) {
        const pct = ((failed / completed) * 100).toFixed(1);
        const lim = (settings.maxFailureRate * 100).toFixed(1);
        tripped = `Auto-stop: ${pct}% failure rate exceeds limit (${lim}%) after ${completed} tasks`;
      }
      return tripped;
    },
    get completed() {
      return completed;
    },
    get failed() {
      return failed;
    },
    get consecutiveFailures() {
      return consecutive;
    },
    get tripped() {
      return tripped;
    },
  };
}
