/**
 * A task's retry policy (`retry_count`, `retry_delay`, `retry_backoff`, `retry_delay_max`,
 * `retry_on`, legacy `retry_failed`) with its defaults, and the wait before each retry.
 */
import type { Task } from './model.js';
import type { RetryOn } from './retry-on.js';

export { RETRY_ON, type RetryOn } from './retry-on.js';

/** Seconds before the first retry when `retry_delay` is not given (the peer's default). */
export const DEFAULT_RETRY_DELAY_S = 1;
/** The longest single wait when `retry_delay_max` is not given: the largest `retry_delay` allowed. */
export const DEFAULT_RETRY_DELAY_MAX_S = 300;
export const RETRY_LIMITS = {
  count: { min: 0, max: 1000, warnAbove: 100 },
  delay: { min: 0, max: 300 },
  backoff: { min: 1, max: 10 },
  delayMax: { min: 0, max: 3600 },
} as const;

export interface RetryPolicy {
  /** Runs after the first: attempts = retries + 1. */
  retries: number;
  delayS: number;
  backoff: number;
  maxDelayS: number;
  on: RetryOn;
}

/** The policy a task's own keys give, or undefined when it is not retried. */
export function retryPolicyOf(task: Task): RetryPolicy | undefined {
  if (!task.retryCount) return undefined;
  return {
    retries: task.retryCount,
    delayS: task.retryDelay ?? DEFAULT_RETRY_DELAY_S,
    backoff: task.retryBackoff ?? 1,
    maxDelayS: task.retryDelayMax ?? DEFAULT_RETRY_DELAY_MAX_S,
    on: task.retryOn ?? 'failure',
  };
}

/**
 * The policy of a block's sub-task: its own when it sets `retry_count` or `retry_failed` (0 or
 * false switch retries off for it), else the block's.
 */
export function subTaskRetryPolicy(sub: Task, block: Task): RetryPolicy | undefined {
  return sub.retryCount !== undefined ? retryPolicyOf(sub) : retryPolicyOf(block);
}

/** Seconds to wait after failed attempt `attempt` (1-based): delay × backoff^(attempt-1), capped. */
export function retryDelayAfter(policy: RetryPolicy, attempt: number): number {
  const raw = policy.delayS * policy.backoff ** (attempt - 1);
  return Math.round(Math.min(policy.maxDelayS, raw) * 1000) / 1000;
}

/** Whether a finished attempt is run again under `policy` (runs remaining aside). */
export function shouldRetry(policy: RetryPolicy, attempt: { success: boolean; timedOut: boolean }): boolean {
  if (attempt.success) return false;
  if (attempt.timedOut) return policy.on !== 'failure';
  return policy.on !== 'timeout';
}

/** One line for plans and docs: `retried up to 3 times on failure, waiting 1 s, then ×2 per retry up to 300 s`. */
export function describeRetryPolicy(policy: RetryPolicy): string {
  const on = policy.on === 'any' ? 'on failure or timeout' : `on ${policy.on}`;
  const times = policy.retries === 1 ? 'once' : `up to ${policy.retries} times`;
  const growth = policy.backoff > 1 ? `, then ×${policy.backoff} per retry up to ${policy.maxDelayS} s` : '';
  return `retried ${times} ${on} (${policy.retries + 1} attempts at most), waiting ${Math.min(policy.delayS, policy.maxDelayS)} s${growth}`;
}
