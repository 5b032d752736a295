import test from 'ava';
import { createProgressReporter } from '../../../controller/parallelr/progress.js';
import type { TaskEntry, TaskRecord } from '../../../controller/parallelr/types.js';

const entry = (index: number): TaskEntry => ({ index, taskFile: `t${index}`, taskPath: `/t${index}`, arguments: [], envVars: {} });
const rec = (index: number, status: TaskRecord['status']): TaskRecord => ({
  session_id: 's', task_file: `t${index}`, arguments: [], command: `run /t${index}`, status, exit_code: status === 'SUCCESS' ? 0 : 1,
  start_time: '2026-01-01T00:00:00.000Z', end_time: '2026-01-01T00:00:01.000Z', duration_seconds: 1, worker: 1, agent: null, error_message: '',
});

test('on a terminal: a redrawn bar on stderr with counts, rate and ETA; stdout stays clean', (t) => {
  let out = '';
  let err = '';
  const p = createProgressReporter({ total: 4, tty: true, stdout: { write: (s: string) => (out += s) }, stderr: { columns: 120, write: (s: string) => (err += s) } });
  p.started(entry(1), 1, 'run /t1');
  p.finished(rec(1, 'SUCCESS'), 1);
  p.started(entry(2), 1, 'run /t2');
  p.finished(rec(2, 'FAILED'), 2);
  p.done();
  t.is(out, '');
  const last = err.split('\r\x1b[2K').filter(Boolean).pop()!;
  t.regex(last, /^\[#{15}-{15}\] 2\/4 ok 1 failed 1 running 0 \| \d+\.\d\/s \| ETA (\d\d:\d\d|--:--)\n$/);
});

test('without a terminal: one plain line per start and per finish on stdout', (t) => {
  let out = '';
  let err = '';
  const p = createProgressReporter({ total: 2, tty: false, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  p.started(entry(1), 2, 'run /t1');
  p.finished(rec(1, 'FAILED'), 1);
  p.note('Auto-stop: something');
  p.done();
  t.is(out, '[1/2] worker 2: run /t1\n[1/2] FAILED: exit 1, 1.00s t1 (1/2 done)\n');
  t.is(err, 'Auto-stop: something\n');
});

test('on a terminal, a failed tasker file\'s line (task exit code, first diagnostics) is printed above the bar', (t) => {
  let out = '';
  let err = '';
  const p = createProgressReporter({ total: 3, tty: true, stdout: { write: (s: string) => (out += s) }, stderr: { columns: 120, write: (s: string) => (err += s) } });
  p.finished({ ...rec(1, 'FAILED'), exit_code: 10, task_exit_code: 7, error_message: 'Exit code 10: task 0 exited 7' }, 1);
  p.finished({ ...rec(2, 'FAILED'), exit_code: 20, error_message: 'Exit code 20: t2:1:1: error[MISSING_COMMAND] task 0 has no command\nt2:4:6: error[UNKNOWN_CONDITION] x' }, 2);
  p.finished(rec(3, 'FAILED'), 3);
  p.done();
  t.is(out, '');
  t.regex(err, /\[1\/3\] FAILED: exit 10 \(task exit 7\), 1\.00s t1 \(1\/3 done\)\n/);
  t.regex(err, /\[2\/3\] FAILED: exit 20, 1\.00s t2 \(2\/3 done\)\n {4}t2:1:1: error\[MISSING_COMMAND\] task 0 has no command\n {4}t2:4:6: error\[UNKNOWN_CONDITION\] x\n/);
  t.notRegex(err, /\[3\/3\] FAILED/, 'a plain failure stays in the bar');
});
