/**
 * Batch claims (agent/nats/batch-claim.ts) with a real nats-server and real agent processes: one
 * stored batch attempt per batch, every start marked durably (in the batch attempt or in the result
 * of the file whose slot it took), and a later delivery that reads those marks to tell exactly which
 * files of a lost agent may have run.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import { parseStoredMessage, type StoredMessage } from '../../shared/nats/attempt.js';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer, subjects } from '../../shared/nats/subjects.js';
import { encodeBatch } from '../../shared/nats/job-batch.js';
import { JOB_VERSION, encodeMessage, type EarlierRun, type JobMessage } from '../../shared/nats/schema.js';
import { unrunResult } from '../../agent/nats/publish-result.js';
import { answerHolds, askHolder, type Claim } from '../../agent/nats/claim-job.js';
import { BatchClaims, JetStreamContact, Ride, batchKey } from '../../agent/nats/batch-claim.js';
import type { PulledJob } from '../../agent/nats/pull-jobs.js';
import type { WorkerParts } from '../../agent/nats/worker-parts.js';
import { openStreamPublisher } from '../../shared/nats/stream-publisher.js';
import { makeTaskFiles, readResults, recordingIo, sleep, tally, useNatsFleet, waitFor, agentForTest, connectPool, messagesOn, shellJob } from './fleet.js';

const fleet = useNatsFleet(test);

const agent = (t: Parameters<typeof agentForTest>[0], name: string, pool: string, max: number) => agentForTest(t, fleet, name, pool, max);

const connect = (t: Parameters<typeof agentForTest>[0], pool: string) => connectPool(t, fleet.server.url, pool);

/** Every message stored for a run on the results stream, in order, with its subject's last token. */
async function storedMessages(jsm: JetStreamManager, runId: string): Promise<{ token: string; stored: StoredMessage }[]> {
  const info = await jsm.streams.info(RESULTS_STREAM, { subjects_filter: subjects.runResults(runId) });
  const out: { token: string; stored: StoredMessage }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(RESULTS_STREAM, { seq }).catch(() => undefined);
    if (!m || !m.subject.startsWith(`tasker.results.${runId}.`)) continue;
    out.push({ token: m.subject.slice(m.subject.lastIndexOf('.') + 1), stored: parseStoredMessage(m.data) });
  }
  return out;
}

const ranTimes = (dir: string, i: number) => (existsSync(join(dir, `ran-${i}`)) ? readFileSync(join(dir, `ran-${i}`), 'utf8').split('\n').filter(Boolean).length : 0);
const recordOf = (records: TaskRecord[], file: string) => records.find((x) => x.task_file === file)!;

test.serial('a batch is claimed once: one batch attempt listing the files started at once, every other start marked once in a result or claimed alone', async (t) => {
  const pool = 'bclaim';
  const { jsm } = await connect(t, pool);
  await agent(t, 'solo', pool, 2);
  const { dir, files } = makeTaskFiles(8, (i, d) => `echo ran >> '${d}/ran-${i}'\n`);
  const runId = 'bclaim-8';
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, batch: 8, runId, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true },
    io,
  );
  t.is(r.exitCode, 0, io.err());
  const records = readResults(r.resultsFile!);
  t.deepEqual([...tally(records.map((x) => x.task_file))].filter(([, n]) => n !== 1), [], 'each file recorded once');
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => ranTimes(dir, i)), [1, 1, 1, 1, 1, 1, 1, 1]);

  const stored = await storedMessages(jsm, runId);
  const batchAttempts = stored.filter((m) => m.stored.kind === 'batch-attempt');
  t.is(batchAttempts.length, 1, 'one batch attempt');
  t.is(batchAttempts[0]!.token, '1-8', 'stored on the batch subject');
  const claim = batchAttempts[0]!.stored.kind === 'batch-attempt' ? batchAttempts[0]!.stored.value : undefined;
  t.like(claim, { run_id: runId, first: 1, last: 8, agent: 'solo', delivery: 1 });
  t.deepEqual(claim!.started.map((m) => m.seq).sort(), [1, 2], 'the two files that started at once, in the two free slots');
  t.deepEqual(claim!.started.map((m) => m.worker).sort(), [1, 2]);
  // Every other file: marked in exactly one stored result, or claimed with an attempt of its own (never both, never neither).
  const marks = stored.flatMap((m) => (m.stored.kind === 'result' ? (m.stored.value.started ?? []).map((s) => s.seq) : []));
  const ownAttempts = stored.filter((m) => m.stored.kind === 'attempt').map((m) => Number(m.token));
  t.deepEqual([...marks, ...ownAttempts].sort((a, b) => a - b), [3, 4, 5, 6, 7, 8]);
  t.true(marks.length >= 3, `most starts ride on a result (marks ${marks.join(',')}, own attempts ${ownAttempts.join(',')})`);
  t.is(stored.filter((m) => m.stored.kind === 'result').length, 8, 'one result per file');
  t.true(records.every((x) => x.runs === undefined));
});

/** Four files in one batch, each appending to `ran-<i>` in its directory; file `slow` then sleeps `seconds`. */
function batchOfFour(pool: string, runId: string, slow: number, seconds: string) {
  const { dir, files } = makeTaskFiles(4, (i, d) => `echo ran >> '${d}/ran-${i}'${i === slow ? `; sleep ${seconds}` : ''}\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, batch: 4, runId, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true },
    io,
  );
  return { dir, files, io, run };
}

test.serial('an agent SIGKILLed mid-batch after a ride: the file marked in a result ran twice and is named; unmarked files run once', async (t) => {
  const pool = 'bclaimkill';
  await connect(t, pool);
  const victim = await agent(t, 'victim', pool, 1);
  // One slot: file 1 (quick) starts at once; file 2 takes its slot, marked in file 1's result, and runs long.
  const { dir, files, io, run } = batchOfFour(pool, 'bclaim-kill', 2, '3');
  await waitFor(() => ranTimes(dir, 2) === 1);
  await victim.kill9();
  await agent(t, 'survivor', pool, 2);
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  const records = readResults(r.resultsFile!);
  t.deepEqual([...tally(records.map((x) => x.task_file))].filter(([, n]) => n !== 1), [], 'each file recorded once');
  t.like(recordOf(records, files[0]!.taskFile), { status: 'SUCCESS', agent: 'victim' });
  t.is(recordOf(records, files[0]!.taskFile).runs, undefined);
  t.like(recordOf(records, files[1]!.taskFile), { status: 'SUCCESS', agent: 'survivor', runs: 2 });
  t.regex(String(recordOf(records, files[1]!.taskFile).rerun_cause), /^agent victim was lost mid-job \(batch claim, delivery 1;/);
  t.is(ranTimes(dir, 2), 2, 'file 2 really ran on both agents');
  for (const i of [3, 4]) {
    t.like(recordOf(records, files[i - 1]!.taskFile), { status: 'SUCCESS', agent: 'survivor' });
    t.is(recordOf(records, files[i - 1]!.taskFile).runs, undefined, `file ${i} never started on the victim`);
    t.is(ranTimes(dir, i), 1, `file ${i} ran once`);
  }
  t.deepEqual(r.ranMoreThanOnce.map((x) => x.seq), [2]);
});

test.serial('an agent stopped mid-batch hands the batch back; the next agent runs only the files without a result, none reported twice', async (t) => {
  const pool = 'bclaimstop';
  await connect(t, pool);
  const first = await agent(t, 'first', pool, 1);
  // File 1 runs 1.5 s; the others wait in the batch. The stop drains file 1 and hands the rest back.
  const { dir, files, io, run } = batchOfFour(pool, 'bclaim-stop', 1, '1.5');
  await waitFor(() => ranTimes(dir, 1) === 1);
  const stopped = first.stop();
  await agent(t, 'second', pool, 2);
  await stopped;
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  const records = readResults(r.resultsFile!);
  t.deepEqual([...tally(records.map((x) => x.task_file))].filter(([, n]) => n !== 1), [], 'each file recorded once');
  t.like(recordOf(records, files[0]!.taskFile), { status: 'SUCCESS', agent: 'first' });
  t.deepEqual([1, 2, 3, 4].map((i) => ranTimes(dir, i)), [1, 1, 1, 1], 'each file ran once');
  t.true(records.every((x) => x.runs === undefined), 'nothing reported as run twice');
  t.deepEqual(r.ranMoreThanOnce, []);
});

test.serial('a batch redelivered to the agent that still runs its files: that delivery is handed back and its claim released, each file runs once', async (t) => {
  const pool = 'bclaimheld';
  const { nc, jsm } = await connect(t, pool);
  // Three slots: both files run, and a pull stays open for the batch's redelivery.
  const w = await agent(t, 'held', pool, 3);
  const { dir } = makeTaskFiles(0, () => '');
  const runId = 'bclaim-held';
  const job = (seq: number) => shellJob(runId, seq, `echo ran >> '${dir}/ran-${seq}'; sleep 7\n`);
  await jetstream(nc).publish(subjects.jobBatch(pool, runId, 1, 2), encodeBatch(runId, [job(1), job(2)].map((j) => JSON.stringify(j))));
  await waitFor(() => ranTimes(dir, 1) === 1 && ranTimes(dir, 2) === 1);
  // Frozen for twice ack_wait: its working() stops, and the server redelivers the batch to it once it wakes.
  process.kill(w.pid, 'SIGSTOP');
  await sleep(4000);
  process.kill(w.pid, 'SIGCONT');
  await waitFor(() => /redelivered job is still held here/.test(w.log()));
  const results = async () => (await storedMessages(jsm, runId)).filter((m) => m.stored.kind === 'result').length;
  await waitFor(async () => (await results()) >= 2, 'both results to be stored');
  const claim = (await storedMessages(jsm, runId)).find((m) => m.stored.kind === 'batch-attempt')!.stored;
  const instance = claim.kind === 'batch-attempt' ? claim.value.instance : '';
  // Every delivery here is settled once the files are done: the agent no longer says it holds the batch.
  let reply;
  for (let i = 0; i < 50 && (reply = await askHolder(nc, instance, { run_id: runId, first: 1, last: 2 }))?.holding !== false; i++) await sleep(100);
  t.like(reply, { holding: false, ran: true });
  t.deepEqual([ranTimes(dir, 1), ranTimes(dir, 2)], [1, 1], 'each file ran once');
  t.is((await results()), 2, 'one result per file');
});

test.serial('a file marked started whose start was called off (the agent lost JetStream after the mark was stored) is not counted as run: its holder names only the files it started', async (t) => {
  const pool = 'bclaimoff';
  const { nc, jsm } = await connect(t, pool);
  const store = await openStreamPublisher(nc);
  t.teardown(() => store.close());
  const contact = new JetStreamContact(() => 60_000);
  const parts = { nc, jsm, store, name: 'holder', instance: `holder-${process.pid}`, lostAfterMs: 5000 } as unknown as WorkerParts;
  const claims = new BatchClaims(parts, contact, new Map());
  const runId = 'bclaim-off';
  const job = (seq: number): JobMessage => ({
    v: JOB_VERSION, run_id: runId, seq, task_file: `f${seq}`, file_name: `f${seq}`, content: '', command: 'true', timeout_sec: 0, output_tail: 0,
  });
  const msg = { subject: '', data: new Uint8Array(), seq: 1, info: { deliveryCount: 1 }, ack() {}, nak() {}, working() {} } as unknown as PulledJob;
  const claim = claims.open(msg, [job(1), job(2)]);
  const alone = async (): Promise<Claim> => ({ run: false, error: 'cannot store the attempt: no quorum' });
  t.like(await claim.claim(job(1), 1, undefined, alone), { run: true }, 'file 1 starts under the stored batch attempt');
  // File 2 takes file 1's slot: its mark rides on file 1's result, which is stored...
  const ride = new Ride(claim);
  const second = claim.claim(job(2), 1, ride, alone);
  // ...but the agent lost JetStream in between: the batch claim no longer covers the start, and the
  // claim of file 2 on its own fails. File 2 never ran.
  contact.lost();
  const result = { ...unrunResult({ runId, seq: 1, taskFile: 'f1', agent: 'holder', worker: 1, delivery: 1, status: 'SUCCESS', error: '' }), started: [{ seq: 2, worker: 1 }] };
  await jetstream(nc).publish(subjects.jobResult(runId, 1), encodeMessage(result));
  ride.settle(true);
  t.like(await second, { run: false });
  claim.release();
  t.deepEqual(claims.answer(batchKey(runId, 1, 2)), { holding: false, ran: true, started: [1] });
  // Over NATS, as the agent that gets the batch next asks it.
  answerHolds(nc, parts.instance, (q) => ('first' in q ? claims.answer(batchKey(q.run_id, q.first, q.last)) : { holding: false }));
  t.deepEqual(await askHolder(nc, parts.instance, { run_id: runId, first: 1, last: 2 }), { holding: false, ran: true, started: [1] });

  // The batch redelivered to another agent: file 2 is no earlier execution, although file 1's stored result marks it started.
  const next = new BatchClaims({ ...parts, name: 'next', instance: `next-${process.pid}` } as WorkerParts, new JetStreamContact(() => 60_000), new Map());
  const redelivered = next.open({ ...msg, info: { deliveryCount: 2 } } as PulledJob, [job(1), job(2)]);
  const earlier = new Map<number, EarlierRun[] | undefined>();
  const each = (seq: number) => async (e?: EarlierRun[]): Promise<Claim> => (earlier.set(seq, e), { run: false, error: 'not run in this test' });
  await Promise.all([redelivered.claim(job(1), 1, undefined, each(1)), redelivered.claim(job(2), 2, undefined, each(2))]);
  t.is(earlier.get(2), undefined, 'file 2 never ran: not an earlier execution');
});

test.serial('a batch redelivered after one of its files ran on its own (a hand-off whose answer was lost): that file is not run again, the others run once', async (t) => {
  const pool = 'bclaimalone';
  const { nc, jsm } = await connect(t, pool);
  const js = jetstream(nc);
  const { dir } = makeTaskFiles(0, () => '');
  const runId = 'bclaim-alone';
  const job = (seq: number) => shellJob(runId, seq, `echo ran >> '${dir}/ran-${seq}'\n`);
  await js.publish(subjects.jobBatch(pool, runId, 1, 3), encodeBatch(runId, [1, 2, 3].map((seq) => JSON.stringify(job(seq)))));
  // The batch's first delivery: no file got a slot; file 2 was handed off and ran on its own
  // (its attempt and result are stored), but the answer to the hand-off was lost, so the batch
  // was handed back unclaimed.
  const first = await (await js.consumers.get(JOBS_STREAM, poolConsumer(pool))).next({ expires: 5000 });
  t.is(first?.info.deliveryCount, 1);
  const ranAlone = { ...unrunResult({ runId, seq: 2, taskFile: 'tasks/t2.sh', agent: 'elsewhere', worker: 1, delivery: 1, status: 'SUCCESS', error: '' }), exit_code: 0 };
  await js.publish(subjects.jobResult(runId, 2), encodeMessage(ranAlone));
  first!.nak();
  const w = await agent(t, 'next', pool, 3);
  const results = async () => (await storedMessages(jsm, runId)).filter((m) => m.stored.kind === 'result').length;
  const queued = () => messagesOn(jsm, JOBS_STREAM, subjects.runJobs(pool, runId));
  await waitFor(async () => (await results()) === 3 && (await queued()) === 0, 'a result of every file and the batch acked', 60_000);
  t.deepEqual([1, 2, 3].map((i) => ranTimes(dir, i)), [1, 0, 1], 'file 2 did not run again; files 1 and 3 ran once');
  const lines = w.log().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.like(lines.find((l) => l.message === 'job already has a stored result; acknowledged without running'), { runId, seq: 2, ranOn: 'elsewhere' });
  const claim = (await storedMessages(jsm, runId)).find((m) => m.stored.kind === 'batch-attempt')?.stored;
  t.like(claim?.kind === 'batch-attempt' ? claim.value : undefined, { delivery: 2, started: [] }, 'the redelivery\'s batch attempt marks no file started');
});

test.serial('a redelivered batch does not hand off a file waiting for a slot: it may have started under the earlier claim (a mark only), which a job of its own would not know', async (t) => {
  const pool = 'bclaimnohand';
  const { nc, jsm } = await connect(t, pool);
  const js = jetstream(nc);
  const { dir } = makeTaskFiles(0, () => '');
  const runId = 'bclaim-nohand';
  const job = (seq: number, body: string) => shellJob(runId, seq, `echo ran >> '${dir}/ran-${seq}'; ${body}\n`);
  // An agent that claimed the batch whole, started both files and was lost (it never answers).
  const ghost = { type: 'batch-attempt', v: JOB_VERSION, run_id: runId, first: 1, last: 2, agent: 'ghost', instance: 'ghost0', delivery: 1, start_time: new Date().toISOString(), started: [{ seq: 1, worker: 1 }, { seq: 2, worker: 2 }] };
  await js.publish(subjects.batchResult(runId, 1, 2), new TextEncoder().encode(JSON.stringify(ghost)));
  await js.publish(subjects.jobBatch(pool, runId, 1, 2), encodeBatch(runId, [job(1, 'sleep 3'), job(2, 'true')].map((j) => JSON.stringify(j))));
  const first = await (await js.consumers.get(JOBS_STREAM, poolConsumer(pool))).next({ expires: 5000 });
  first!.nak(); // the ghost's delivery: the next one counts 2
  // The run's controller, as far as hand-offs go: it would publish the file as a job of its own.
  const handOffs: string[] = [];
  nc.subscribe(subjects.handOff(runId), { callback: (_e, m) => (handOffs.push(new TextDecoder().decode(m.data)), m.respond(new TextEncoder().encode('{"ok":false}'))) });
  // One slot: file 1 runs 3 s while file 2 waits for the slot longer than the 2 s an agent holds a file.
  await agent(t, 'single', pool, 1);
  const results = async () => (await storedMessages(jsm, runId)).filter((m) => m.stored.kind === 'result');
  await waitFor(async () => (await results()).length === 2, 'both results', 60_000);
  t.deepEqual(handOffs, [], 'no file of the redelivered batch was handed off');
  t.deepEqual([ranTimes(dir, 1), ranTimes(dir, 2)], [1, 1]);
  for (const { stored } of await results()) {
    t.like(stored.kind === 'result' ? stored.value.earlier_runs?.[0] : undefined, { agent: 'ghost' }, 'each file names the lost start under the ghost\'s claim');
  }
});
