/** The values `retry_on` accepts: which outcomes a task's retries answer. */
export const RETRY_ON = ['failure', 'timeout', 'any'] as const;
export type RetryOn = (typeof RETRY_ON)[number];
