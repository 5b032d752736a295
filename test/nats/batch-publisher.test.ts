/**
 * Publishing batches to a real nats-server with no agents: consecutive seqs, at most the batch
 * size, within max_payload; and resume's missingSeqs counts every file of a queued batch as queued.
 */
import test from 'ava';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import { publishJobs, type PublishFailure } from '../../controller/nats/publisher.js';
import { missingSeqs } from '../../controller/nats/queue.js';
import type { RunState } from '../../controller/nats/run-state.js';
import { openStreamPublisher } from '../../shared/nats/stream-publisher.js';
import { batchOverhead, parseJobs } from '../../shared/nats/job-batch.js';
import { JOBS_STREAM, seqsOfJobSubject, subjects } from '../../shared/nats/subjects.js';
import { connectPool, makeTaskFiles, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);

/** A run of `n` task files on `pool`, a connection and a JetStream manager (closed in teardown). */
async function setUp(t: { teardown(fn: () => unknown): void }, runId: string, pool: string, n: number, body = (i: number) => `echo ${i}\n`) {
  const { dir, files } = makeTaskFiles(n, body);
  const state: RunState = {
    version: 1, runId, createdAt: new Date().toISOString(), servers: [fleet.server.url], pool, command: '/bin/sh @TASK@',
    timeoutSeconds: 30, maxOutputCapture: 1000, stopLimits: null, resultsFile: join(dir, 'results.jsonl'), files, status: 'running',
  };
  const { nc, jsm } = await connectPool(t, fleet.server.url, pool);
  return { state, nc, jsm };
}

/** The job subjects of a run now in the queue, in publish order (by stream sequence). */
async function queuedMessages(jsm: JetStreamManager, state: RunState): Promise<{ subject: string; data: Uint8Array }[]> {
  const info = await jsm.streams.info(JOBS_STREAM, { subjects_filter: subjects.runJobs(state.pool, state.runId) });
  const msgs = [];
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    const m = await jsm.streams.getMessage(JOBS_STREAM, { last_by_subj: subject });
    msgs.push({ subject, data: m!.data, seq: m!.seq });
  }
  return msgs.sort((a, b) => a.seq - b.seq).map(({ subject, data }) => ({ subject, data }));
}

const tail = (subject: string) => subject.slice(subject.lastIndexOf('.') + 1);

test.serial('batch 4 over seqs 1..10: subjects 1-4, 5-8, 9-10, each message holding exactly its range\'s jobs', async (t) => {
  const { state, nc, jsm } = await setUp(t, 'batch-pub-1', 'bp1', 10);
  const failures: PublishFailure[] = [];
  const stored = await publishJobs({ store: await openStreamPublisher(nc), state, seqs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], maxPayload: nc.info!.max_payload, batch: 4, onFailure: (f) => failures.push(f) });
  t.is(stored, 10, 'stored counts files, not messages');
  t.deepEqual(failures, []);
  const msgs = await queuedMessages(jsm, state);
  t.deepEqual(msgs.map((m) => m.subject), [
    subjects.jobBatch('bp1', 'batch-pub-1', 1, 4), subjects.jobBatch('bp1', 'batch-pub-1', 5, 8), subjects.jobBatch('bp1', 'batch-pub-1', 9, 10),
  ]);
  for (const m of msgs) {
    const jobs = parseJobs(m.data);
    t.true(jobs.ok, m.subject);
    if (!jobs.ok) continue;
    t.deepEqual(jobs.value.map((j) => j.seq), seqsOfJobSubject(m.subject));
    for (const j of jobs.value) {
      t.is(j.task_file, state.files[j.seq - 1]!.taskFile);
      t.is(Buffer.from(j.content, 'base64').toString(), `echo ${j.seq}\n`);
    }
  }
});

test.serial('a gap in the seqs (resume) ends a batch: 1-3, 5-8, 9', async (t) => {
  const { state, nc, jsm } = await setUp(t, 'batch-pub-2', 'bp2', 9);
  const stored = await publishJobs({ store: await openStreamPublisher(nc), state, seqs: [1, 2, 3, 5, 6, 7, 8, 9], maxPayload: nc.info!.max_payload, batch: 4, onFailure: () => t.fail() });
  t.is(stored, 8);
  t.deepEqual((await queuedMessages(jsm, state)).map((m) => tail(m.subject)), ['1-3', '5-8', '9']);
});

test.serial('a small max_payload splits batches so that every message fits, every file in exactly one', async (t) => {
  // Files of ~300 bytes. A job's size depends on its path (in TMPDIR): measured here, one job per
  // message, then max_payload is set so that 2 jobs fit in a batch and 3 do not (the publisher keeps
  // 256 bytes for headers, publisher.ts HEADER_ROOM).
  const body = (i: number) => `echo ${i} ${'x'.repeat(300)}\n`;
  const alone = await setUp(t, 'batch-pub-3-alone', 'bp3a', 11, body);
  await publishJobs({ store: await openStreamPublisher(alone.nc), state: alone.state, seqs: Array.from({ length: 11 }, (_, i) => i + 1), maxPayload: alone.nc.info!.max_payload, batch: 1, onFailure: () => t.fail() });
  const job = Math.max(...(await queuedMessages(alone.jsm, alone.state)).map((m) => m.data.length));
  const { state, nc, jsm } = await setUp(t, 'batch-pub-3', 'bp3', 11, body);
  const maxPayload = 256 + batchOverhead(state.runId) + Math.floor(2.5 * (job + 1));
  const failures: PublishFailure[] = [];
  const stored = await publishJobs({ store: await openStreamPublisher(nc), state, seqs: Array.from({ length: 11 }, (_, i) => i + 1), maxPayload, batch: 8, onFailure: (f) => failures.push(f) });
  t.deepEqual(failures, []);
  t.is(stored, 11);
  const msgs = await queuedMessages(jsm, state);
  const seen: number[] = [];
  for (const m of msgs) {
    t.true(m.data.length <= maxPayload, `${m.subject}: ${m.data.length} bytes`);
    const jobs = parseJobs(m.data);
    t.true(jobs.ok, m.subject);
    if (jobs.ok) t.deepEqual(jobs.value.map((j) => j.seq), seqsOfJobSubject(m.subject));
    seen.push(...seqsOfJobSubject(m.subject));
  }
  t.deepEqual(seen, Array.from({ length: 11 }, (_, i) => i + 1));
  t.true(msgs.length > 2 && msgs.length < 11, `${msgs.length} messages: split, and still batched (${msgs.map((m) => tail(m.subject)).join(' ')})`);
  t.true(msgs.some((m) => seqsOfJobSubject(m.subject).length > 1));
});

test.serial('batch 1 publishes one subject per file, each a job alone', async (t) => {
  const { state, nc, jsm } = await setUp(t, 'batch-pub-4', 'bp4', 5);
  t.is(await publishJobs({ store: await openStreamPublisher(nc), state, seqs: [1, 2, 3, 4, 5], maxPayload: nc.info!.max_payload, batch: 1, onFailure: () => t.fail() }), 5);
  const msgs = await queuedMessages(jsm, state);
  t.deepEqual(msgs.map((m) => tail(m.subject)), ['1', '2', '3', '4', '5']);
  for (const m of msgs) t.false(new TextDecoder().decode(m.data).includes('"type":"batch"'), m.subject);
});

test.serial('an unreadable file in the middle of a batch is a named failure; the files around it still travel', async (t) => {
  const { state, nc, jsm } = await setUp(t, 'batch-pub-5', 'bp5', 6);
  state.files[2] = { ...state.files[2]!, path: join(state.files[2]!.path, 'missing') };
  const failures: PublishFailure[] = [];
  t.is(await publishJobs({ store: await openStreamPublisher(nc), state, seqs: [1, 2, 3, 4, 5, 6], maxPayload: nc.info!.max_payload, batch: 4, onFailure: (f) => failures.push(f) }), 5);
  t.deepEqual(failures.map((f) => f.seq), [3]);
  t.deepEqual((await queuedMessages(jsm, state)).map((m) => tail(m.subject)), ['1-2', '4-6']);
});

test.serial('missingSeqs: every file of a queued batch counts as queued; only files in no message are missing', async (t) => {
  const { state, nc, jsm } = await setUp(t, 'batch-pub-6', 'bp6', 12);
  // A controller that crashed while publishing: files 1-4 and 7-9 reached the queue in batches, 11 alone.
  t.is(await publishJobs({ store: await openStreamPublisher(nc), state, seqs: [1, 2, 3, 4, 7, 8, 9, 11], maxPayload: nc.info!.max_payload, batch: 4, onFailure: () => t.fail() }), 8);
  t.deepEqual((await queuedMessages(jsm, state)).map((m) => tail(m.subject)), ['1-4', '7-9', '11']);
  t.deepEqual(await missingSeqs(jsm, state, { received: 0, seen: new Set() }), [5, 6, 10, 12]);
  t.deepEqual(await missingSeqs(jsm, state, { received: 0, seen: new Set([5, 12]) }), [6, 10], 'files with a result are not missing either');
});

test.serial('a batch that fills max_payload to within its header\'s size is still published (the client counts headers in max_payload)', async (t) => {
  const maxPayload = 1024 * 1024;
  // One file of L bytes travels as a job of C + 4⌈L/3⌉ bytes (base64); C is read from a job stored alone.
  const probe = await setUp(t, 'batch-pub-7a', 'bp7', 1, () => 'abc');
  t.is(probe.nc.info!.max_payload, maxPayload);
  t.is(await publishJobs({ store: await openStreamPublisher(probe.nc), state: probe.state, seqs: [1], maxPayload, batch: 1, onFailure: () => t.fail() }), 1);
  const [alone] = await queuedMessages(probe.jsm, probe.state);
  // Paths of the same length (a temporary directory, task0001.sh) and run ids of the same length: the same C.
  const c = alone!.data.length - 4;
  // Two files of L bytes each: a batch of overhead + 2 jobs + a comma, 20 to 40 bytes short of max_payload,
  // less than its Nats-Msg-Id header (NATS/1.0, the header line and CRLFs: 47 bytes here).
  const runId = 'batch-pub-7b';
  let l = 3 * Math.floor((maxPayload - 40 - batchOverhead(runId) - 1 - 2 * c) / 8);
  const batchBytes = (len: number) => batchOverhead(runId) + 2 * (c + 4 * Math.ceil(len / 3)) + 1;
  while (batchBytes(l + 3) <= maxPayload - 20) l += 3;
  while (batchBytes(l) > maxPayload - 20) l -= 3;
  t.true(batchBytes(l) >= maxPayload - 40 && batchBytes(l) <= maxPayload - 20, String(batchBytes(l)));
  const { state, nc, jsm } = await setUp(t, runId, 'bp7', 2, () => 'x'.repeat(l));
  const failures: PublishFailure[] = [];
  // A message the client refuses is retried as long as the run goes on: the stop ends that, so a regression fails here.
  const stop = AbortSignal.timeout(30_000);
  t.is(await publishJobs({ store: await openStreamPublisher(nc), state, seqs: [1, 2], maxPayload, batch: 2, signal: stop, onFailure: (f) => failures.push(f) }), 2, failures.map((f) => f.error).join('; '));
  const msgs = await queuedMessages(jsm, state);
  t.deepEqual(msgs.map((m) => seqsOfJobSubject(m.subject)).flat(), [1, 2]);
});
