import test from 'ava';
import { recordKey, toRecord } from '../../../controller/nats/records.js';
import type { ResultMessage } from '../../../shared/nats/index.js';

const result: ResultMessage = {
  v: 1, run_id: 'r1', seq: 2, task_file: 'a.txt', status: 'FAILED', exit_code: 10, start_time: '2026-12-06T08:24:12.255Z', end_time: '2026-12-06T08:24:13.000Z',
  duration_seconds: 0.75, agent: 'a1', worker: 1, command_executed: 'tasker -r a.txt', error_message: 'Exit code 10', stdout_tail: '', stderr_tail: '', delivery: 1,
};

test('a record takes the landed fields, names the failing task in its error, and keeps UTC times with Z', (t) => {
  const rec = toRecord(result, 'r1', { logFile: '/home/op/TASKER/logs/a_1.log', failedTask: '3', taskExitCode: 2, note: 'logs/a_1.log capped' });
  t.like(rec, { log_file: '/home/op/TASKER/logs/a_1.log', failed_task: '3', task_exit_code: 2, records_note: 'logs/a_1.log capped', error_message: 'Exit code 10: task 3 exited 2' });
  t.is(rec.start_time, '2026-12-06T08:24:12.255Z');
  t.is(rec.end_time, '2026-12-06T08:24:13.000Z');
});

test('resume: a record written with landed fields matches the same result landed again without them', (t) => {
  const first = toRecord(result, 'r1', { logFile: '/x.log', failedTask: '3', taskExitCode: 2 });
  const again = toRecord(result, 'r1');
  t.is(recordKey(first), recordKey(again));
  t.not(recordKey(first), recordKey(toRecord({ ...result, exit_code: 1 }, 'r1')));
});
