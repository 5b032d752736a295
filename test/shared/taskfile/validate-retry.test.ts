/** The retry keys on ordinary tasks and blocks: typed values, ranges, positioned errors and warnings. */
import test from 'ava';
import { check, file, formatAll } from '../../helpers/tasker.js';
import { describeRetryPolicy, retryDelayAfter, retryPolicyOf, shouldRetry, subTaskRetryPolicy } from '../../../shared/taskfile/retry-policy.js';

interface Expected {
  code: string;
  severity: 'error' | 'warning';
  line: number;
  col: number;
  message?: string;
}

const task = (id: number, ...extra: string[]): string[] => [`task=${id}`, 'hostname=localhost', 'command=echo', ...extra];

const diagnoses = test.macro({
  exec(t, text: string, expected: Expected[]) {
    const { diagnostics } = check(text);
    t.deepEqual(
      diagnostics.map((d) => ({ code: d.code, severity: d.severity, line: d.line, col: d.col })),
      expected.map((e) => ({ code: e.code, severity: e.severity, line: e.line, col: e.col })),
    );
    expected.forEach((e, i) => e.message !== undefined && t.is(diagnostics[i]?.message, e.message, `message of ${e.code}`));
  },
  title: (provided, _text: string, expected: Expected[]) => provided ?? (expected.map((e) => `${e.severity}[${e.code}]`).join(', ') || 'no diagnostics'),
});

test('an ordinary task takes every retry key, typed onto the task', (t) => {
  const { diagnostics, workflow } = check(file(...task(0, 'retry_count=3', 'retry_delay=0.5', 'retry_backoff=2', 'retry_delay_max=10', 'retry_on=ANY')));
  t.deepEqual(diagnostics, []);
  const t0 = workflow.tasks.get(0)!;
  t.deepEqual(retryPolicyOf(t0), { retries: 3, delayS: 0.5, backoff: 2, maxDelayS: 10, on: 'any' });
});

test('defaults: 1 s, constant, capped at 300 s, failures only', (t) => {
  const { workflow } = check(file(...task(0, 'retry_count=2')));
  t.deepEqual(retryPolicyOf(workflow.tasks.get(0)!), { retries: 2, delayS: 1, backoff: 1, maxDelayS: 300, on: 'failure' });
  t.is(retryPolicyOf(check(file(...task(0))).workflow.tasks.get(0)!), undefined);
});

test('globals are substituted in retry values', (t) => {
  const { diagnostics, workflow } = check(file('N=4', 'ON=timeout', ...task(0, 'retry_count=@N@', 'retry_on=@ON@')));
  t.deepEqual(diagnostics, []);
  t.like(retryPolicyOf(workflow.tasks.get(0)!), { retries: 4, on: 'timeout' });
});

test('legacy retry_failed: true alone is one retry, false switches retries off', (t) => {
  t.is(retryPolicyOf(check(file(...task(0, 'retry_failed=true'))).workflow.tasks.get(0)!)?.retries, 1);
  t.is(retryPolicyOf(check(file(...task(0, 'retry_count=3', 'retry_failed=false'))).workflow.tasks.get(0)!), undefined);
});

test('the backoff is delay × backoff^(k-1), capped by retry_delay_max', (t) => {
  const p = { retries: 6, delayS: 1, backoff: 2, maxDelayS: 5, on: 'failure' as const };
  t.deepEqual([1, 2, 3, 4, 5].map((k) => retryDelayAfter(p, k)), [1, 2, 4, 5, 5]);
  t.deepEqual([1, 2, 3].map((k) => retryDelayAfter({ ...p, backoff: 1 }, k)), [1, 1, 1]);
  t.deepEqual([1, 2].map((k) => retryDelayAfter({ ...p, delayS: 0.1, backoff: 1.5 }, k)), [0.1, 0.15]);
});

test('retry_on decides which unsuccessful runs are retried', (t) => {
  const p = (on: 'failure' | 'timeout' | 'any') => ({ retries: 1, delayS: 0, backoff: 1, maxDelayS: 0, on });
  const failed = { success: false, timedOut: false };
  const timedOut = { success: false, timedOut: true };
  const ok = { success: true, timedOut: false };
  t.deepEqual([failed, timedOut, ok].map((r) => shouldRetry(p('failure'), r)), [true, false, false]);
  t.deepEqual([failed, timedOut, ok].map((r) => shouldRetry(p('timeout'), r)), [false, true, false]);
  t.deepEqual([failed, timedOut, ok].map((r) => shouldRetry(p('any'), r)), [true, true, false]);
  // A timed-out run that the task's own success= still counts as a success is not retried.
  t.false(shouldRetry(p('any'), { success: true, timedOut: true }));
});

test("a sub-task's own retry keys win over its block's; retry_count=0 switches them off for it", (t) => {
  const { workflow } = check(file('task=0', 'type=parallel', 'tasks=100,101,102', 'retry_count=2', 'retry_delay=0',
    ...task(100), ...task(101, 'retry_count=5', 'retry_on=any'), ...task(102, 'retry_count=0')));
  const block = workflow.tasks.get(0)!;
  t.like(subTaskRetryPolicy(workflow.tasks.get(100)!, block), { retries: 2, delayS: 0, on: 'failure' });
  t.like(subTaskRetryPolicy(workflow.tasks.get(101)!, block), { retries: 5, delayS: 1, on: 'any' });
  t.is(subTaskRetryPolicy(workflow.tasks.get(102)!, block), undefined);
});

test('the dry-run line names count, condition, delay and growth', (t) => {
  t.is(describeRetryPolicy({ retries: 3, delayS: 1, backoff: 2, maxDelayS: 60, on: 'failure' }), 'retried up to 3 times on failure (4 attempts at most), waiting 1 s, then ×2 per retry up to 60 s');
  t.is(describeRetryPolicy({ retries: 1, delayS: 5, backoff: 1, maxDelayS: 300, on: 'any' }), 'retried once on failure or timeout (2 attempts at most), waiting 5 s');
});

// Bad values: errors at the value, exit 20 from the CLI (see test/core/engine/retry.test.ts).
test('retry_count out of range and not a number', diagnoses, file(...task(0, 'retry_count=1001'), ...task(1, 'retry_count=two')), [
  { code: 'OUT_OF_RANGE', severity: 'error', line: 4, col: 13, message: 'task 0: retry_count must be between 0 and 1000, got 1001' },
  { code: 'NOT_AN_INTEGER', severity: 'error', line: 8, col: 13, message: "task 1: retry_count must be a whole number, got 'two'" },
]);
test('retry_delay negative, too large, not a number', diagnoses, file(...task(0, 'retry_count=1', 'retry_delay=-1'), ...task(1, 'retry_count=1', 'retry_delay=301'), ...task(2, 'retry_count=1', 'retry_delay=1s')), [
  { code: 'OUT_OF_RANGE', severity: 'error', line: 5, col: 13, message: 'task 0: retry_delay must be between 0 and 300, got -1' },
  { code: 'OUT_OF_RANGE', severity: 'error', line: 10, col: 13, message: 'task 1: retry_delay must be between 0 and 300, got 301' },
  { code: 'NOT_A_NUMBER', severity: 'error', line: 15, col: 13, message: "task 2: retry_delay must be a number of seconds, got '1s'" },
]);
test('retry_backoff below 1 or above 10', diagnoses, file(...task(0, 'retry_count=1', 'retry_backoff=0.5'), ...task(1, 'retry_count=1', 'retry_backoff=11')), [
  { code: 'OUT_OF_RANGE', severity: 'error', line: 5, col: 15, message: 'task 0: retry_backoff must be between 1 and 10, got 0.5' },
  { code: 'OUT_OF_RANGE', severity: 'error', line: 10, col: 15, message: 'task 1: retry_backoff must be between 1 and 10, got 11' },
]);
test('retry_delay_max above 3600 or below retry_delay', diagnoses, file(...task(0, 'retry_count=1', 'retry_delay_max=3601'), ...task(1, 'retry_count=1', 'retry_delay=10', 'retry_delay_max=5')), [
  { code: 'OUT_OF_RANGE', severity: 'error', line: 5, col: 17, message: 'task 0: retry_delay_max must be between 0 and 3600, got 3601' },
  { code: 'RETRY_DELAY_MAX_BELOW_DELAY', severity: 'error', line: 11, col: 17, message: 'task 1: retry_delay_max=5 is less than retry_delay=10' },
]);
test('retry_on with an unknown value', diagnoses, file(...task(0, 'retry_count=1', 'retry_on=timout')), [
  { code: 'UNKNOWN_RETRY_ON', severity: 'error', line: 5, col: 10, message: "task 0: retry_on='timout' is not failure, timeout or any" },
]);
test('retry_failed that is not a boolean', diagnoses, file(...task(0, 'retry_failed=yes')), [
  { code: 'INVALID_RETRY_FAILED', severity: 'error', line: 4, col: 14 },
]);
test('a task result in a retry value is refused: retries are fixed before the run', diagnoses, file(...task(0), ...task(1, 'retry_count=@0_stdout@')), [
  { code: 'NOT_AN_INTEGER', severity: 'error', line: 7, col: 13, message: "task 1: retry_count must be a whole number, got '@0_stdout@'" },
]);

// Warnings: settings that do nothing.
test('retry settings without retry_count', diagnoses, file(...task(0, 'retry_delay=5', 'retry_on=any')), [
  { code: 'RETRY_WITHOUT_COUNT', severity: 'warning', line: 4, col: 13, message: 'task 0: retry_delay= has no effect without retry_count=N (N ≥ 1)' },
  { code: 'RETRY_WITHOUT_COUNT', severity: 'warning', line: 5, col: 10 },
]);
test('retry keys on a decision block or a return-only task', diagnoses, file('task=0', 'type=decision', 'success=true', 'retry_count=3', 'task=1', 'return=0', 'retry_count=2'), [
  { code: 'RETRY_NOTHING_TO_RETRY', severity: 'warning', line: 4, col: 13, message: 'task 0: retry_count= is ignored: a decision block runs no command' },
  { code: 'RETRY_NOTHING_TO_RETRY', severity: 'warning', line: 7, col: 13, message: 'task 1: retry_count= is ignored: the task has no command' },
]);
test('retry_failed=true beside retry_count is redundant', diagnoses, file(...task(0, 'retry_failed=true', 'retry_count=3'), ...task(1, 'retry_failed=true', 'retry_count=0')), [
  { code: 'RETRY_FAILED_REDUNDANT', severity: 'warning', line: 4, col: 14, message: 'task 0: retry_failed=true is redundant: retry_count=3 already enables retries' },
  { code: 'RETRY_FAILED_REDUNDANT', severity: 'warning', line: 9, col: 14, message: 'task 1: retry_failed=true has no effect: retry_count=0 switches retries off' },
]);
test('more than 100 retries', diagnoses, file(...task(0, 'retry_count=101')), [
  { code: 'LARGE_RETRY', severity: 'warning', line: 4, col: 13 },
]);

test('an error prints like a compiler, with the line and a caret under the value', (t) => {
  t.is(formatAll(file(...task(0, 'retry_count=2', 'retry_backoff=x2')), 'f.txt').split('\n')[0], "f.txt:5:15: error[NOT_A_NUMBER] task 0: retry_backoff must be a number (the factor each wait grows by), got 'x2'");
});
