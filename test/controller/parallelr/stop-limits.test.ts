import test from 'ava';
import { join } from 'node:path';
import { run } from '../../../controller/parallelr/cli.js';
import { createStopLimitTracker } from '../../../controller/parallelr/stop-limits.js';
import type { TaskStatus } from '../../../controller/parallelr/types.js';
import { alive, fakeIo, LONG_TASK, makeSandbox, recordedPids, readJsonl, resultsPathFrom, writeFiles, writeUserConfig } from './helpers.js';

const trips = test.macro(
  (t, settings: { maxConsecutiveFailures: number; maxFailureRate: number; minTasksForRateCheck: number }, statuses: TaskStatus[], tripAt: number | null, reason?: RegExp) => {
    const tracker = createStopLimitTracker(settings);
    let first = null as number | null;
    statuses.forEach((s, i) => {
      if (tracker.record(s) && first === null) first = i + 1;
    });
    t.is(first, tripAt);
    if (reason) t.regex(tracker.tripped!, reason);
  },
);

const strict = { maxConsecutiveFailures: 3, maxFailureRate: 1, minTasksForRateCheck: 100 };
test('3 consecutive failures trip at the third', trips, strict, ['FAILED', 'TIMEOUT', 'ERROR', 'FAILED'], 3, /^Auto-stop: 3 consecutive failures \(limit: 3\)$/);
test('a success resets the streak', trips, strict, ['FAILED', 'FAILED', 'SUCCESS', 'FAILED', 'FAILED', 'SUCCESS'], null);
test('cancelled tasks are not counted', trips, strict, ['FAILED', 'FAILED', 'CANCELLED', 'CANCELLED', 'FAILED'], 5);
const rate = { maxConsecutiveFailures: 100, maxFailureRate: 0.5, minTasksForRateCheck: 4 };
test('failure rate only after the minimum count', trips, rate, ['FAILED', 'FAILED', 'SUCCESS', 'FAILED'], 4, /^Auto-stop: 75\.0% failure rate exceeds limit \(50\.0%\) after 4 tasks$/);
test('failure rate equal to the limit does not trip (strictly greater)', trips, rate, ['FAILED', 'SUCCESS', 'FAILED', 'SUCCESS', 'SUCCESS', 'FAILED'], null);

test('run: limit 3 with 10 failing tasks on one worker → exactly 3 FAILED, 7 CANCELLED, exit 1', async (t) => {
  const sb = makeSandbox();
  const files: Record<string, string> = {};
  for (let i = 0; i < 10; i++) files[`t${i}.sh`] = 'echo ran >> "$PWD/ran"; exit 1\n';
  writeFiles(sb.tasks, files);
  writeUserConfig(sb, 'limits:\n  max_consecutive_failures: 3\n');
  const io = fakeIo(sb);
  const code = await run(['-T', 'tasks', '-C', 'sh @TASK@', '-r', '-m', '1', '--enable-stop-limits'], io);
  t.is(code, 1);
  const records = readJsonl(resultsPathFrom(io.out()));
  t.is(records.length, 10);
  t.deepEqual(records.map((r) => r.status), [...Array(3).fill('FAILED'), ...Array(7).fill('CANCELLED')]);
  t.deepEqual(records.slice(3).map((r) => r.error_message), Array(7).fill('Task cancelled (stop limit reached)'));
  t.deepEqual(records.slice(3).map((r) => r.start_time), Array(7).fill(null));
  const { readFileSync } = await import('node:fs');
  t.is(readFileSync(join(sb.state, 'workspace', 'ran'), 'utf8'), 'ran\nran\nran\n', 'the cancelled tasks never started');
  t.regex(io.out(), /Triggered: Auto-stop: 3 consecutive failures \(limit: 3\)/);
  t.regex(io.err(), /Auto-stop: 3 consecutive failures/);
});

test('run: a stop limit kills running tasks too (they are CANCELLED, not left running)', async (t) => {
  const sb = makeSandbox();
  // worker 1 fails twice quickly; worker 2 is busy with a long task that must be killed when the limit trips.
  writeFiles(sb.tasks, { 'a.sh': LONG_TASK, 'b.sh': 'sleep 0.3; exit 1\n', 'c.sh': 'exit 1\n', 'd.sh': 'exit 0\n', 'e.sh': 'exit 0\n' });
  writeUserConfig(sb, 'limits:\n  max_consecutive_failures: 2\n');
  const io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'sh @TASK@', '-r', '-m', '2', '--enable-stop-limits'], io), 1);
  const records = readJsonl(resultsPathFrom(io.out()));
  const status = Object.fromEntries(records.map((r) => [r.task_file, r.status]));
  t.deepEqual(status, { 'tasks/a.sh': 'CANCELLED', 'tasks/b.sh': 'FAILED', 'tasks/c.sh': 'FAILED', 'tasks/d.sh': 'CANCELLED', 'tasks/e.sh': 'CANCELLED' });
  const a = records.find((r) => r.task_file === 'tasks/a.sh')!;
  t.not(a.start_time, null, 'a.sh was running when it was cancelled');
  const pids = recordedPids(sb.tasks);
  t.is(pids.length, 2, 'a.sh and its background sleep recorded their pids');
  t.deepEqual(pids.filter(alive), [], 'the whole group of a.sh is gone');
});
