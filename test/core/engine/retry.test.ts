/**
 * Retries on ordinary tasks, run by `tasker` in-process (issue 15, item 5): attempts shown as
 * `Task N attempt k/n` and recorded in the JSON and the log; retry_on; routing on the last attempt;
 * loops; validation; dry run; resume. Interrupts during the wait signal the built bin:
 * test/smoke/retry-signals.test.ts.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesWith, tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { echo, flaky } from '../../helpers/task-files.js';
import type { AttemptResult as Attempt, RunResult } from '../../../core/run/index.js';

/** The --output-json document. */
type RunJson = RunResult;

async function run(dir: string, text: string, extra: string[] = []): Promise<{ code: number | null; out: string; json: RunJson; log: string }> {
  writeFileSync(join(dir, 'f.txt'), text);
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'base'), '--output-json', 'o.json', ...extra], { cwd: dir });
  const logs = join(dir, 'base', 'logs');
  const logFile = readdirSync(logs).filter((f) => f.startsWith('f_')).sort().at(-1)!;
  return { code: r.code, out: r.stdout + r.stderr, json: JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunJson, log: readFileSync(join(logs, logFile), 'utf8') };
}

const runs = (state: string): number => Number(readFileSync(state, 'utf8').trim());
const strip = (attempts: Attempt[] | undefined) => attempts?.map(({ duration_seconds: _d, ...a }) => a);

test('a flaky task succeeds on its third attempt with backoff: shown, logged and recorded per attempt', async (t) => {
  const dir = tempDir();
  const state = join(dir, 'n');
  const r = await run(dir, flaky(0, state, 3, 'retry_count=3', 'retry_delay=0.2', 'retry_backoff=2') + '\n' + echo(1, 'after @0_stdout@'));
  t.is(r.code, 0, r.out);
  t.is(runs(state), 3, 'three runs, no fourth');
  t.deepEqual(strip(r.json.task_results['0']!.attempts), [
    { attempt: 1, exit_code: 1, success: false, timed_out: false },
    { attempt: 2, exit_code: 1, success: false, timed_out: false, delay_before_seconds: 0.2 },
    { attempt: 3, exit_code: 0, success: true, timed_out: false, delay_before_seconds: 0.4 },
  ]);
  t.like(r.json.task_results['0'], { exit_code: 0, success: true, stdout: 'run 3\n' });
  t.is(r.json.task_results['1']!.stdout, 'after run 3\n', '@0_stdout@ is the last attempt');
  t.deepEqual(Object.keys(r.json.task_results).sort(), ['0', '1'], 'attempts are not results of their own');
  t.deepEqual(r.json.execution_summary.loop_iterations, [], 'attempts are not loop iterations');
  for (const text of [r.out, r.log]) {
    t.regex(text, /Task 0 attempt 1\/4: Executing \[local\] on localhost: /);
    t.regex(text, /Task 0 attempt 1\/4: STDOUT: run 1\n/);
    t.regex(text, /Task 0: attempt 1\/4 failed \(exit code 1\); retrying in 0\.2 s\n/);
    t.regex(text, /Task 0: attempt 2\/4 failed \(exit code 1\); retrying in 0\.4 s\n/);
    t.regex(text, /Task 0 attempt 3\/4: Completed - Success: True\n/);
    t.regex(text, /Task 0: succeeded on attempt 3\/4\n/);
    t.notRegex(text, /attempt 4\/4/);
  }
});

test("retries used up: the last attempt's failure routes through on_failure, and @0_exit@ is its exit code", async (t) => {
  const dir = tempDir();
  const state = join(dir, 'n');
  const r = await run(dir, flaky(0, state, 99, 'retry_count=2', 'retry_delay=0', 'on_failure=5') + '\n' + echo(1, 'not reached') + '\n' + echo(5, 'routed @0_stdout@ @0_exit@'));
  t.is(r.code, 0, r.out);
  t.is(runs(state), 3);
  t.deepEqual(r.json.execution_summary.execution_path, [0, 5]);
  t.deepEqual(r.json.task_results['0']!.attempts!.map((a) => [a.attempt, a.exit_code, a.success]), [[1, 1, false], [2, 1, false], [3, 1, false]]);
  t.is(r.json.task_results['5']!.stdout, 'routed run 3 1\n');
  t.regex(r.log, /Task 0: attempt 3\/3 failed \(exit code 1\); no attempts left, the task failed\n/);
  t.deepEqual(r.json.warnings.filter((w) => w.includes('attempt')), [], 'a routed failure is flow, not a warning');
});

test('retries used up without a route: the run stops with exit 10 on that task', async (t) => {
  const dir = tempDir();
  const state = join(dir, 'n');
  const r = await run(dir, flaky(0, state, 99, 'retry_count=1', 'retry_delay=0') + '\n' + echo(1, 'not reached'));
  t.is(r.code, 10, r.out);
  t.is(runs(state), 2);
  t.is(r.json.execution_summary.failure_info?.task_id, 0);
  t.deepEqual(r.json.execution_summary.execution_path, [0]);
});

test('retry_on=failure (the default) does not retry a timeout: it routes at once', async (t) => {
  const dir = tempDir();
  const state = join(dir, 'n');
  const hang = `97.${process.pid}1`;
  const r = await run(dir, flaky(0, state, 2, 'timeout=5', 'retry_count=2', 'retry_delay=0', 'on_failure=1').replace(`${state} 2`, `${state} 2 ${hang}`) + '\n' + echo(1, 'routed'));
  t.is(r.code, 0, r.out);
  t.is(runs(state), 1, 'no second attempt');
  t.deepEqual(strip(r.json.task_results['0']!.attempts), [{ attempt: 1, exit_code: r.json.task_results['0']!.exit_code, success: false, timed_out: true }]);
  t.regex(r.out, /Task 0: attempt 1\/3 timed out; not retried: retry_on=failure does not retry a timeout/);
  t.deepEqual(r.json.execution_summary.execution_path, [0, 1]);
  t.deepEqual(await processesWith(`sleep ${hang}`), []);
});

test('retry_on=timeout retries a timed-out run, and not a failed one', async (t) => {
  const dir = tempDir();
  const slow = join(dir, 'slow');
  const fast = join(dir, 'fast');
  const hang = `97.${process.pid}2`;
  const r = await run(dir,
    flaky(0, slow, 2, 'timeout=5', 'retry_on=timeout', 'retry_count=2', 'retry_delay=0').replace(`${slow} 2`, `${slow} 2 ${hang}`) + '\n' +
    flaky(1, fast, 99, 'retry_on=timeout', 'retry_count=2', 'retry_delay=0', 'on_failure=2') + '\n' + echo(2, 'done'));
  t.is(r.code, 0, r.out);
  t.is(runs(slow), 2);
  t.deepEqual(r.json.task_results['0']!.attempts!.map((a) => [a.timed_out, a.success]), [[true, false], [false, true]]);
  t.regex(r.out, /Task 0: attempt 1\/3 timed out; retrying in 0 s/);
  t.is(runs(fast), 1, 'a plain failure is not retried under retry_on=timeout');
  t.regex(r.out, /Task 1: attempt 1\/3 failed \(exit code 1\); not retried: retry_on=timeout does not retry a failure/);
  t.deepEqual(r.json.execution_summary.execution_path, [0, 1, 2]);
  t.deepEqual(await processesWith(`sleep ${hang}`), []);
});

test('the success condition decides what failed: success=stdout~run 2 retries a run that exits 0 (retry_on=any)', async (t) => {
  const dir = tempDir();
  const state = join(dir, 'n');
  const r = await run(dir, flaky(0, state, 1, 'success=stdout~run 2', 'retry_count=3', 'retry_delay=0', 'retry_on=any'));
  t.is(r.code, 0, r.out);
  t.is(runs(state), 2);
  t.deepEqual(r.json.task_results['0']!.attempts!.map((a) => [a.exit_code, a.success]), [[0, false], [0, true]]);
  t.regex(r.out, /Task 0: attempt 1\/4 failed \(exit code 0, success condition false\); retrying in 0 s/);
});

test('each loop iteration is retried on its own, shown as N.k attempt j/n', async (t) => {
  const dir = tempDir();
  const state = join(dir, 'n');
  // Odd runs fail, even runs succeed: every iteration needs exactly one retry.
  writeFileSync(join(dir, 'odd.sh'), `#!/bin/sh\nk=$(( $(cat "${state}" 2>/dev/null || echo 0) + 1 )); echo $k > "${state}"; echo "run $k"; [ $((k % 2)) -eq 0 ]\n`);
  const r = await run(dir, ['task=0', 'hostname=localhost', 'exec=local', 'command=sh', `arguments=${join(dir, 'odd.sh')}`, 'next=loop', 'loop=1', 'retry_count=2', 'retry_delay=0', ''].join('\n'));
  t.is(r.code, 0, r.out);
  t.is(runs(state), 4);
  t.deepEqual(r.json.execution_summary.loop_iterations, ['0.1', '0.2']);
  t.deepEqual(r.json.task_results['0.1']!.attempts!.map((a) => a.success), [false, true]);
  t.deepEqual(r.json.task_results['0.2']!.attempts!.map((a) => a.success), [false, true]);
  t.regex(r.log, /Task 0\.2 attempt 2\/3: Executing \[local\]/);
  t.regex(r.log, /Task 0\.1: succeeded on attempt 2\/3/);
});

test('a parallel block retries each sub-task with backoff, shown as P-C.k; a sub-task with retry_count=0 is not retried', async (t) => {
  const dir = tempDir();
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const r = await run(dir, ['task=0', 'type=parallel', 'tasks=10,11', 'retry_count=3', 'retry_delay=0.1', 'retry_backoff=3', ''].join('\n') + '\n' +
    flaky(10, a, 3) + '\n' + flaky(11, b, 3, 'retry_count=0') + '\n');
  t.is(r.code, 10, 'sub-task 11 failed, so the block did');
  t.is(runs(a), 3);
  t.is(runs(b), 1);
  t.deepEqual(r.json.task_results['0-10']!.attempts!.map((x) => x.delay_before_seconds), [undefined, 0.1, 0.3]);
  t.is(r.json.task_results['0-11']!.attempts, undefined);
  t.regex(r.log, /Task 0-10\.3: Executing/, "a block sub-task's attempts keep the peer's P-C.k form");
  t.regex(r.log, /Task 0-10: succeeded on attempt 3\/4/);
});

test('a bad retry value stops before anything runs: exit 20, with file:line:col', async (t) => {
  const dir = tempDir();
  const state = join(dir, 'n');
  writeFileSync(join(dir, 'f.txt'), flaky(0, state, 1, 'retry_count=2', 'retry_on=sometimes', 'retry_backoff=0'));
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'base')], { cwd: dir });
  t.is(r.code, 20);
  const out = r.stdout + r.stderr;
  t.true(out.includes("f.txt:7:10: error[UNKNOWN_RETRY_ON] task 0: retry_on='sometimes' is not failure, timeout or any"), out);
  t.true(out.includes('f.txt:8:15: error[OUT_OF_RANGE] task 0: retry_backoff must be between 1 and 10, got 0'), out);
  t.false(existsSync(state), 'nothing ran');
  t.notRegex(out, /\n\s+at /, 'no stack trace');
});

test('the dry-run plan shows the retry policy of tasks and blocks', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), flaky(0, join(dir, 'n'), 1, 'retry_count=4', 'retry_delay=2', 'retry_backoff=1.5', 'retry_delay_max=30', 'retry_on=any') + '\n' +
    ['task=1', 'type=parallel', 'tasks=10,11', 'retry_failed=true', ''].join('\n') + '\n' + echo(10, 'a') + '\n' + echo(11, 'b'));
  const r = await runTaskerInProcess(['f.txt', '-l', join(dir, 'base')], { cwd: dir });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /Task 0: .*\n {6}retried up to 4 times on failure or timeout \(5 attempts at most\), waiting 2 s, then ×1\.5 per retry up to 30 s; each attempt shown as Task 0 attempt K\/5\n/);
  t.regex(r.stdout, /Task 1: parallel block\n.*\n {6}each sub-task retried once on failure \(2 attempts at most\), waiting 1 s, unless it has retry keys of its own\n/);
  t.false(existsSync(join(dir, 'n')));
});

test("a block's master timeout also ends a sub-task's wait to retry: no further attempt", async (t) => {
  const dir = tempDir();
  const state = join(dir, 'n');
  const r = await run(dir, ['task=0', 'type=parallel', 'tasks=10,11', 'timeout=5', 'retry_count=5', 'retry_delay=300', ''].join('\n') + '\n' + flaky(10, state, 99) + '\n' + echo(11, 'fine') + '\n');
  t.is(r.code, 10, r.out);
  t.is(runs(state), 1);
  t.regex(r.out, /master timeout of 5 s expired/);
  t.regex(r.out, /Task 0-10: stopped while waiting to retry; attempt 2\/6 does not run/);
  t.is(r.json.task_results['0-10']!.attempts!.length, 1);
});

test('resume after a retried task failed: the task starts again with its full retry budget; saved attempts survive', async (t) => {
  const dir = tempDir();
  const first = join(dir, 'first');
  const second = join(dir, 'second');
  const text = flaky(0, first, 2, 'retry_count=1', 'retry_delay=0') + '\n' + flaky(1, second, 4, 'retry_count=1', 'retry_delay=0');
  const one = await run(dir, text, ['--auto-recovery']);
  t.is(one.code, 10, one.out);
  t.is(runs(second), 2, 'both attempts of task 1 failed');
  const two = await run(dir, text, ['--auto-recovery']);
  t.is(two.code, 0, two.out);
  t.is(runs(first), 2, 'task 0 did not run again');
  t.is(runs(second), 4, 'task 1 ran two fresh attempts');
  t.deepEqual(two.json.task_results['1']!.attempts!.map((a) => [a.attempt, a.success]), [[1, false], [2, true]]);
  t.deepEqual(two.json.task_results['0']!.attempts!.map((a) => [a.attempt, a.success]), [[1, false], [2, true]], "task 0's attempts come back from the recovery file");
});
