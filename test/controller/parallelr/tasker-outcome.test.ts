import test from 'ava';
import { describeTaskerFailure, readTaskerOutcome } from '../../../controller/parallelr/index.js';

test('the failing task and its own exit code come from failure_info and task_results', (t) => {
  const doc = { execution_summary: { failure_info: { task_id: '3', exit_code: 10 } }, task_results: { 3: { exit_code: 2 } } };
  const o = readTaskerOutcome(JSON.stringify(doc));
  t.deepEqual(o, { failedTask: '3', taskExitCode: 2 });
  t.is(describeTaskerFailure('Exit code 10', 'FAILED', o), 'Exit code 10: task 3 exited 2');
  t.is(describeTaskerFailure('', 'SUCCESS', o), '');
});

test('a successful or unreadable document gives nothing', (t) => {
  t.deepEqual(readTaskerOutcome(JSON.stringify({ execution_summary: {} })), {});
  t.deepEqual(readTaskerOutcome('{"exec'), {});
});
