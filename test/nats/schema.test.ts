/** Job/result validation and argv building: bad input gets an error naming the field, never a throw. */
import test from 'ava';
import { parseJob, parseResult, encodeMessage, type JobMessage } from '../../shared/nats/schema.js';
import { buildArgv } from '../../agent/nats/run-job.js';

const good: JobMessage = {
  v: 1, run_id: 'r-1', seq: 3, task_file: 'tasks/a b.sh', file_name: 'a b.sh',
  content: Buffer.from('echo hi').toString('base64'), command: '/bin/sh @TASK@', timeout_sec: 30, output_tail: 1000,
};
const enc = (o: unknown) => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));

test('a valid job round-trips', (t) => {
  t.deepEqual(parseJob(encodeMessage(good)), { ok: true, value: good });
});

const rejected = test.macro({
  exec(t, payload: unknown, error: RegExp, ids?: { runId?: string; seq?: number }) {
    const r = parseJob(enc(payload));
    t.false(r.ok);
    if (r.ok) return;
    t.regex(r.error, error);
    if (ids) t.deepEqual({ runId: r.runId, seq: r.seq }, ids);
  },
  title: (name) => `rejects a job: ${name}`,
});
test('not JSON', rejected, '{oops', /^payload is not JSON/);
test('not an object', rejected, '[1,2]', /^payload is not a JSON object$/);
test('wrong version', rejected, { ...good, v: 2 }, /^unsupported job version `2` \(expected 1\)$/, { runId: 'r-1', seq: 3 });
test('missing command', rejected, { ...good, command: undefined }, /`command` must be a string/, { runId: 'r-1', seq: 3 });
test('seq zero', rejected, { ...good, seq: 0 }, /`seq` must be a whole number from 1/);
test('run id with a dot', rejected, { ...good, run_id: 'a.b' }, /`run_id` must be letters, digits/);
test('file name with a slash', rejected, { ...good, file_name: '../x' }, /`file_name` must be a plain file name/);
test('content not base64', rejected, { ...good, content: 'no spaces allowed!' }, /`content` must be base64/);
test('a NUL byte in the command', rejected, { ...good, command: '/bin/sh\u0000 -c evil @TASK@' }, /`command` must not contain a NUL byte/, { runId: 'r-1', seq: 3 });
test('a NUL byte in the task file name', rejected, { ...good, task_file: 'a\u0000b', file_name: 'a\u0000b' }, /`task_file` must not contain a NUL byte.*`file_name` must not contain a NUL byte/);
test('in_process not a boolean', rejected, { ...good, in_process: 'no' }, /`in_process` must be true or false/, { runId: 'r-1', seq: 3 });
test('recovery state not base64', rejected, { ...good, recovery: 'not base64!' }, /`recovery` must be base64/, { runId: 'r-1', seq: 3 });
test('negative timeout', rejected, { ...good, timeout_sec: -1 }, /`timeout_sec` must be a whole number from 0/);

test('in_process: false is kept, absent stays absent (older controllers)', (t) => {
  t.deepEqual(parseJob(encodeMessage({ ...good, in_process: false })), { ok: true, value: { ...good, in_process: false } });
  const r = parseJob(encodeMessage(good));
  t.false(r.ok && 'in_process' in r.value);
});

test('a result with an unknown status is rejected', (t) => {
  const r = parseResult(enc({ run_id: 'r', seq: 1, status: 'MAYBE' }));
  t.false(r.ok);
  t.regex(r.ok ? '' : r.error, /`status` must be one of SUCCESS\|FAILED\|TIMEOUT\|CANCELLED\|ERROR/);
});

test('a result\'s failure_detail: kept when well formed, its malformed parts left out (the tails are read instead)', (t) => {
  const result = {
    v: 1, run_id: 'r', seq: 1, task_file: 'a.txt', status: 'FAILED', exit_code: 10, start_time: 's', end_time: 'e', duration_seconds: 1,
    agent: 'a', worker: 1, command_executed: 'tasker -r a.txt', error_message: 'Exit code 10', stdout_tail: '', stderr_tail: '', delivery: 1,
  };
  const read = (detail: unknown) => {
    const r = parseResult(enc({ ...result, failure_detail: detail }));
    return r.ok ? r.value.failure_detail : r.error;
  };
  t.deepEqual(read({ task_exit_code: 3, failed_task: '1' }), { task_exit_code: 3, failed_task: '1' });
  t.deepEqual(read({ reason: 'a.txt:1:1: error[X] no' }), { reason: 'a.txt:1:1: error[X] no' });
  t.deepEqual(read({ task_exit_code: '3', failed_task: 1, reason: 'why' }), { reason: 'why' });
  t.is(read({ task_exit_code: 2.5 }), undefined);
  t.is(read({ reason: 'x'.repeat(100_000) })?.reason?.length, 2000);
  t.is(read('why'), undefined);
  t.is(read(null), undefined);
});

test('@TASK@ becomes exactly one argv element, also with spaces and inside a word', (t) => {
  t.deepEqual(buildArgv(`tasker -r @TASK@ --file=@TASK@ 'x y'`, '/w/a b.sh'), {
    argv: ['tasker', '-r', '/w/a b.sh', '--file=/w/a b.sh', 'x y'],
  });
  t.deepEqual(buildArgv(`bash "unterminated`, '/p'), { argv: [], error: 'command template: unterminated double quote starting at column 6' });
});
