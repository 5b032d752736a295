/** What `retry_on` may name: which ends of a run a retry policy retries (default `failure`). */
export const RETRY_ON = ['failure', 'timeout', 'any'] as const;
export type RetryOn = (typeof RETRY_ON)[number];
