/**
 * Batches on the wire: a job message of one job or of several (parseJobs), batch subjects, the
 * automatic size, the fleet reply; batch attempts and start marks (attempt.ts), and the agent's
 * contact with JetStream that batch claims depend on.
 */
import test from 'ava';
import { JetStreamContact } from '../../agent/nats/batch-claim.js';
import { parseStoredMessage, startsOf } from '../../shared/nats/attempt.js';
import { AUTO_BATCH_MAX, batchSize, encodeBatch, parseFleetReply, parseJobs } from '../../shared/nats/job-batch.js';
import { encodeMessage, type JobMessage } from '../../shared/nats/schema.js';
import { MAX_BATCH, seqsOfJobSubject, subjects } from '../../shared/nats/subjects.js';

const job = (seq: number, over: Partial<JobMessage> = {}): JobMessage => ({
  v: 1, run_id: 'run-b', seq, task_file: `tasks/t${seq}.sh`, file_name: `t${seq}.sh`,
  content: Buffer.from(`echo ${seq}`).toString('base64'), command: '/bin/sh @TASK@', timeout_sec: 30, output_tail: 1000, ...over,
});
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const batchOf = (jobs: unknown[], over: Record<string, unknown> = {}) => enc({ type: 'batch', v: 1, run_id: 'run-b', jobs, ...over });

test('a job alone is a list of that one job', (t) => {
  t.deepEqual(parseJobs(encodeMessage(job(7))), { ok: true, value: [job(7)] });
});

test('a valid batch gives its jobs in order; encodeBatch writes what parseJobs reads, saying the controller reads batch claims', (t) => {
  const jobs = [job(3), job(4), job(5)];
  t.deepEqual(parseJobs(batchOf(jobs)), { ok: true, value: jobs });
  t.deepEqual(parseJobs(encodeBatch('run-b', jobs.map((j) => JSON.stringify(j)))), { ok: true, value: jobs, batchClaim: true });
});

test('a job alone that is invalid is refused with the job\'s own error', (t) => {
  const r = parseJobs(enc({ ...job(2), command: 5 }));
  t.false(r.ok);
  t.regex(r.ok ? '' : r.error, /^invalid job: `command` must be a string/);
});

const refused = test.macro({
  exec(t, data: Uint8Array, error: RegExp, runId?: string) {
    const r = parseJobs(data);
    t.false(r.ok);
    if (r.ok) return;
    t.regex(r.error, error);
    t.is(r.runId, runId, 'the batch\'s run, never a job\'s');
    t.deepEqual([r.seq, r.taskFile], [undefined, undefined], 'no seq or file of one job: the refusal is every file\'s');
  },
  title: (name) => `a batch is refused whole: ${name}`,
});
test('an invalid job is named by its place', refused, batchOf([job(1), { ...job(2), timeout_sec: -1 }, job(3)]), /^job 2 of the batch: .*`timeout_sec` must be a whole number from 0/, 'run-b');
test('a job that is not an object', refused, batchOf([job(1), 'job']), /^job 2 of the batch: payload is not a JSON object$/, 'run-b');
test('a job of another run', refused, batchOf([job(1), job(2, { run_id: 'other' })]), /^job 2 of the batch belongs to run `other`, not the batch's `run-b`$/, 'run-b');
test('a repeated seq', refused, batchOf([job(4), job(5), job(4)]), /^job 3 of the batch repeats seq 4$/, 'run-b');
test('an invalid job in a batch whose run id is not a subject token', refused, batchOf([job(1, { run_id: 'a.b' })], { run_id: 'a.b' }), /^job 1 of the batch: .*`run_id` must be letters/);
test('no jobs', refused, batchOf([]), /^`jobs` of a batch must be a list of 1 to 64 jobs$/);
test('more than 64 jobs', refused, batchOf(Array.from({ length: MAX_BATCH + 1 }, (_, i) => job(i + 1))), /^`jobs` of a batch must be a list of 1 to 64 jobs$/);
test('jobs not a list', refused, batchOf([], { jobs: { 1: job(1) } }), /^`jobs` of a batch must be a list/);
test('a wrong version', refused, batchOf([job(1), job(2)], { v: 2 }), /^unsupported batch version `2` \(expected 1\)$/);
test('not JSON', refused, new TextEncoder().encode('{"type":"batch",'), /^payload is not JSON/);

test('64 jobs are a batch', (t) => {
  const r = parseJobs(batchOf(Array.from({ length: MAX_BATCH }, (_, i) => job(i + 1))));
  t.true(r.ok);
  t.is(r.ok ? r.value.length : 0, MAX_BATCH);
});

test('a job subject names one seq, a batch subject its range, anything else none', (t) => {
  t.deepEqual(seqsOfJobSubject(subjects.job('p', 'r', 7)), [7]);
  t.deepEqual(seqsOfJobSubject(subjects.jobBatch('p', 'r', 3, 5)), [3, 4, 5]);
  t.deepEqual(seqsOfJobSubject(subjects.jobBatch('p', 'r', 1, 64)), Array.from({ length: 64 }, (_, i) => i + 1));
  t.is(seqsOfJobSubject(subjects.jobBatch('p', 'r', 9, 12))[0], 9);
  for (const junk of ['tasker.jobs.p.r.x', 'tasker.jobs.p.r.', 'tasker.jobs.p.r.0', 'tasker.jobs.p.r.-3', 'tasker.jobs.p.r.3-', 'tasker.jobs.p.r.3-4-5', 'tasker.jobs.p.r.2e3', 'tasker.jobs.p.r.0x10', 'tasker.jobs.p.r.+3', 'tasker.jobs.p.r. 3', 'tasker.jobs.p.r.1e1-1e1']) {
    t.deepEqual(seqsOfJobSubject(junk), [], junk);
  }
  t.deepEqual(seqsOfJobSubject(subjects.jobBatch('p', 'r', 5, 3)), [], 'reversed');
  t.deepEqual(seqsOfJobSubject(subjects.jobBatch('p', 'r', 1, 65)), [], 'wider than 64');
  t.is(seqsOfJobSubject('tasker.jobs.p.r.junk')[0], undefined);
});

test('batch size: 1 for small runs and no slots, an eighth of a slot\'s share, at most 16', (t) => {
  t.is(batchSize(10, 4), 1);
  t.is(batchSize(63, 4), 1);
  t.is(batchSize(64, 4), 2);
  t.is(batchSize(600, 4), 16);
  t.is(batchSize(600, 0), 1);
  t.is(batchSize(100_000, 4), AUTO_BATCH_MAX);
  t.is(AUTO_BATCH_MAX, 16);
  t.is(batchSize(1000, 16), 7);
});

test('an agent\'s fleet reply is read; anything else is not one', (t) => {
  t.deepEqual(parseFleetReply(enc({ agent: 'a1', instance: 'i-1', max: 4, batches: true })), { agent: 'a1', instance: 'i-1', max: 4, batches: true });
  t.deepEqual(parseFleetReply(enc({ instance: 'i-2', max: 1 })), { agent: '', instance: 'i-2', max: 1, batches: false });
  t.deepEqual(parseFleetReply(enc({ agent: 'a', instance: 'i', max: 2, batches: 'yes' })), { agent: 'a', instance: 'i', max: 2, batches: false });
  for (const bad of [{ agent: 'a', max: 2 }, { instance: 'i', max: 0 }, { instance: 'i', max: 1.5 }, { instance: 'i', max: '2' }, null, [1]]) {
    t.is(parseFleetReply(enc(bad)), undefined, JSON.stringify(bad));
  }
  t.is(parseFleetReply(new TextEncoder().encode('not json')), undefined);
});

test('a batch attempt is read with its range and the files it started; a start outside the range is dropped; a bad one is refused', (t) => {
  const claim = { type: 'batch-attempt', v: 1, run_id: 'run-b', first: 3, last: 6, agent: 'a1', instance: 'i1', delivery: 1, start_time: 'T', started: [{ seq: 3, worker: 1 }, { seq: 9, worker: 2 }, { seq: 4 }] };
  const read = parseStoredMessage(enc(claim));
  t.deepEqual(read, { kind: 'batch-attempt', value: { ...claim, started: [{ seq: 3, worker: 1 }] } });
  t.deepEqual(startsOf(read), [{ run_id: 'run-b', seq: 3, agent: 'a1', worker: 1 }]);
  for (const bad of [{ first: 0 }, { last: 2 }, { last: 3 + 64 }, { instance: 'a.b' }, { run_id: undefined }]) {
    const r = parseStoredMessage(enc({ ...claim, ...bad }));
    t.is(r.kind, 'bad', JSON.stringify(bad));
  }
});

test('the starts a stored message tells: an attempt its job, a result the files that took its slot', (t) => {
  const attempt = { type: 'attempt', v: 1, run_id: 'run-b', seq: 5, agent: 'a2', instance: 'i2', delivery: 2, start_time: 'T', earlier_runs: [], worker: 2 };
  t.deepEqual(startsOf(parseStoredMessage(enc(attempt))), [{ run_id: 'run-b', seq: 5, agent: 'a2', worker: 2 }]);
  const result = {
    v: 1, run_id: 'run-b', seq: 5, task_file: 't5', status: 'SUCCESS', exit_code: 0, start_time: 'T', end_time: 'T', duration_seconds: 0,
    agent: 'a2', worker: 2, command_executed: '', error_message: '', stdout_tail: '', stderr_tail: '', delivery: 1,
  };
  t.deepEqual(startsOf(parseStoredMessage(enc({ ...result, started: [{ seq: 6, worker: 2 }, { seq: 'x', worker: 1 }] }))), [{ run_id: 'run-b', seq: 6, agent: 'a2', worker: 2 }]);
  t.deepEqual(startsOf(parseStoredMessage(enc(result))), []);
  t.deepEqual(startsOf(parseStoredMessage(enc({ nonsense: true }))), []);
});

test('the contact with JetStream moves to a new epoch after a silence longer than the gap, and at a disconnect', async (t) => {
  const contact = new JetStreamContact(() => 100);
  contact.heard();
  const start = contact.epoch;
  await new Promise((r) => setTimeout(r, 20));
  contact.heard();
  t.is(contact.epoch, start, 'round trips close together: same epoch');
  await new Promise((r) => setTimeout(r, 150));
  contact.heard();
  t.is(contact.epoch, start + 1, 'a round trip after a silence longer than the gap');
  contact.lost();
  t.is(contact.epoch, start + 2, 'a disconnect');
});
