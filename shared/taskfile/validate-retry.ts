/**
 * The retry keys of one task, typed and checked: `retry_count`, `retry_failed`, `retry_delay`,
 * `retry_backoff`, `retry_delay_max`, `retry_on`. They apply to ordinary tasks with a command and
 * to parallel and conditional blocks (whose sub-tasks they retry); a decision block runs nothing.
 */
import type { FieldValue } from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { suggest } from './diagnostics.js';
import type { Task } from './model.js';
import { RETRY_LIMITS, RETRY_ON, type RetryOn } from './retry-policy.js';
import { findPlaceholders } from './variables.js';

export const RETRY_KEYS = ['retry_count', 'retry_failed', 'retry_delay', 'retry_backoff', 'retry_delay_max', 'retry_on'] as const;

export interface RetryCheckHost {
  /** Report a problem at a field's value. */
  report(field: FieldValue, code: string, severity: Diagnostic['severity'], message: string, hint?: string): void;
  /** A value with the file's globals substituted. */
  resolveGlobals(text: string): string;
}

const WHOLE = 'a whole number';
const SECONDS = 'a number of seconds';
const NOT_FIXED_HINT = 'retry values may use globals, not task results: they are fixed before the run starts';

/** Type the task's retry keys into `task`; problems go to `host`. */
export function checkRetryFields(task: Task, host: RetryCheckHost): void {
  const f = task.fields;
  // Most tasks have no retry keys: find that out without allocating (files may hold 10,000 tasks).
  if (!hasRetryKey(f)) return;
  const given = RETRY_KEYS.map((k) => f.get(k)).filter((v): v is FieldValue => v !== undefined);
  if (task.type === 'decision' || (task.type === 'task' && !task.command)) {
    const why = task.type === 'decision' ? 'a decision block runs no command' : 'the task has no command';
    for (const field of given) host.report(field, 'RETRY_NOTHING_TO_RETRY', 'warning', `task ${task.id}: ${field.key}= is ignored: ${why}`);
    return;
  }
  /** `what`: how the expected value is named in the message. */
  const number = (key: string, limits: { min: number; max: number }, what: string): number | undefined => {
    const field = f.get(key);
    if (!field) return undefined;
    const v = host.resolveGlobals(field.value).trim();
    const whole = what === WHOLE;
    if (!(whole ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/).test(v)) {
      host.report(field, whole ? 'NOT_AN_INTEGER' : 'NOT_A_NUMBER', 'error', `task ${task.id}: ${key} must be ${what}, got '${field.value}'`, findPlaceholders(v).length > 0 ? NOT_FIXED_HINT : undefined);
      return undefined;
    }
    const n = Number(v);
    if (n < limits.min || n > limits.max) {
      host.report(field, 'OUT_OF_RANGE', 'error', `task ${task.id}: ${key} must be between ${limits.min} and ${limits.max}, got ${v}`);
      return undefined;
    }
    return n;
  };

  const countField = f.get('retry_count');
  task.retryCount = number('retry_count', RETRY_LIMITS.count, WHOLE);
  if (task.retryCount !== undefined && task.retryCount > RETRY_LIMITS.count.warnAbove) {
    host.report(countField!, 'LARGE_RETRY', 'warning', `task ${task.id}: retry_count=${task.retryCount} is more than ${RETRY_LIMITS.count.warnAbove}`);
  }
  const failedField = f.get('retry_failed');
  if (failedField) {
    const v = host.resolveGlobals(failedField.value).trim().toLowerCase();
    if (v !== 'true' && v !== 'false') host.report(failedField, 'INVALID_RETRY_FAILED', 'error', `task ${task.id}: retry_failed must be true or false, got '${failedField.value}'`, 'retry_count=N alone enables retries');
    else if (v === 'false') task.retryCount = 0;
    else if (!countField) task.retryCount = 1;
    else if (task.retryCount) host.report(failedField, 'RETRY_FAILED_REDUNDANT', 'warning', `task ${task.id}: retry_failed=true is redundant: retry_count=${countField.value} already enables retries`, 'remove retry_failed');
    else if (task.retryCount === 0) host.report(failedField, 'RETRY_FAILED_REDUNDANT', 'warning', `task ${task.id}: retry_failed=true has no effect: retry_count=0 switches retries off`);
  }

  task.retryDelay = number('retry_delay', RETRY_LIMITS.delay, SECONDS);
  task.retryBackoff = number('retry_backoff', RETRY_LIMITS.backoff, 'a number (the factor each wait grows by)');
  task.retryDelayMax = number('retry_delay_max', RETRY_LIMITS.delayMax, SECONDS);
  const maxField = f.get('retry_delay_max');
  if (task.retryDelayMax !== undefined && task.retryDelay !== undefined && task.retryDelayMax < task.retryDelay) {
    host.report(maxField!, 'RETRY_DELAY_MAX_BELOW_DELAY', 'error', `task ${task.id}: retry_delay_max=${task.retryDelayMax} is less than retry_delay=${task.retryDelay}`, 'retry_delay_max caps every wait, the first one too; make it at least retry_delay');
  }
  const onField = f.get('retry_on');
  if (onField) {
    const v = host.resolveGlobals(onField.value).trim().toLowerCase();
    if ((RETRY_ON as readonly string[]).includes(v)) task.retryOn = v as RetryOn;
    else {
      const guess = suggest(v, RETRY_ON);
      host.report(onField, 'UNKNOWN_RETRY_ON', 'error', `task ${task.id}: retry_on='${onField.value}' is not failure, timeout or any`, guess ? `did you mean '${guess}'?` : 'failure (the default) retries a failed run, timeout one that timed out, any both');
    }
  }

  // Settings without a count do nothing; say so rather than let an operator believe in them.
  if (!task.retryCount && !(countField && task.retryCount === undefined)) {
    for (const field of given) {
      if (field.key === 'retry_count' || field.key === 'retry_failed') continue;
      host.report(field, 'RETRY_WITHOUT_COUNT', 'warning', `task ${task.id}: ${field.key}= has no effect without retry_count=N (N ≥ 1)`);
    }
  }
}

function hasRetryKey(fields: ReadonlyMap<string, FieldValue>): boolean {
  for (let i = 0; i < RETRY_KEYS.length; i++) if (fields.has(RETRY_KEYS[i]!)) return true;
  return false;
}
