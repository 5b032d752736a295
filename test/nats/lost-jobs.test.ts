/**
 * A job message that leaves the queue without a result — here a batch terminated the way an agent
 * older than batches terminates a message it cannot read — does not leave the run waiting: the
 * controller finds its files neither queued nor stored and publishes them again, one file per
 * message (controller/nats/lost-jobs.ts), which any agent reads. Each file still runs once.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { connectNats } from '../../shared/nats/connection.js';
import { JOBS_STREAM, poolConsumer, subjects } from '../../shared/nats/subjects.js';
import { connectPool, makeTaskFiles, readResults, recordingIo, startWorker, useNatsFleet, waitFor, watchJobSubjects } from './fleet.js';

const fleet = useNatsFleet(test);

test.serial('a batch terminated unread (an older agent) is published again file by file; every file runs once', async (t) => {
  const pool = 'lostjobs';
  const runId = 'lost-8';
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  const seenNow = await watchJobSubjects(t, fleet.server.url, pool, runId);
  const { dir, files } = makeTaskFiles(8, (i, d) => `echo ran >> '${d}/ran-${i}'\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, batch: 4, runId, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true },
    io,
  );
  t.teardown(() => run.catch(() => undefined));
  await waitFor(() => seenNow().length === 2);
  t.deepEqual(seenNow(), ['1-4', '5-8'], 'two batches published');

  // An agent older than batches: it cannot read the first batch, has no seq to report, and terminates it.
  const consumer = await jetstream(nc).consumers.get(JOBS_STREAM, poolConsumer(pool));
  const m = await consumer.next({ expires: 5000 });
  t.truthy(m, 'the first batch was delivered');
  t.is(m!.subject, subjects.jobBatch(pool, runId, 1, 4));
  m!.term();
  await nc.flush();

  const w = await startWorker(fleet.server.url, { name: 'current', pool, max: 2 });
  fleet.workers.push(w);
  t.teardown(() => w.kill9());
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  const records = readResults(r.resultsFile!);
  t.deepEqual(records.map((x) => x.status), Array(8).fill('SUCCESS'));
  t.deepEqual(new Set(records.map((x) => x.task_file)).size, 8, 'each file recorded once');
  const ran = (i: number) => (existsSync(join(dir, `ran-${i}`)) ? readFileSync(join(dir, `ran-${i}`), 'utf8').split('\n').filter(Boolean).length : 0);
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map(ran), Array(8).fill(1), 'each file ran once');
  t.deepEqual(seenNow().slice(2).sort(), ['1', '2', '3', '4'], 'files 1-4 published again, one per message');
  t.regex(io.err() + io.out(), /4 task files left the queue without a result \(#1, #2, #3 … and 1 more\).*published again, one file per message/);
});

test.serial('the look for lost jobs: files neither queued nor stored are named once the reader has read all; never while the run stops', async (t) => {
  const { watchLostJobs } = await import('../../controller/nats/lost-jobs.js');
  const pool = 'lostlook';
  const { nc, jsm } = await connectPool(t, fleet.server.url, pool);
  // Run "look-1": file 2 is queued, file 3 has a result the reader has read, file 1 is lost.
  const runId = 'look-1';
  await jetstream(nc).publish(subjects.job(pool, runId, 2), new TextEncoder().encode('{}'));
  const state = { runId, pool, files: [1, 2, 3].map((i) => ({ taskFile: `f${i}`, path: `/nonexistent/f${i}` })) } as Parameters<typeof watchLostJobs>[0]['state'];
  const reader = { received: 0, seen: new Set<number>([3]) };
  const calls: number[][] = [];
  const notes: string[] = [];
  const stopping = new AbortController();
  const stop = watchLostJobs({ jsm, state, reader, recorded: () => false, note: (n) => notes.push(n), signal: stopping.signal, everyMs: 50, republish: async (seqs) => void calls.push(seqs) });
  t.teardown(() => stop());
  await waitFor(() => calls.length > 0);
  t.deepEqual(calls[0], [1]);
  t.regex(notes[0]!, /1 task file left the queue without a result \(#1\)/);
  stopping.abort();
  const after = calls.length;
  await new Promise((r) => setTimeout(r, 300));
  t.is(calls.length, after, 'nothing while the run stops');
  await stop();

  // Run "look-2": a stored attempt the reader has not read yet: no answer at all (its file could be running).
  const run2 = 'look-2';
  await jetstream(nc).publish(subjects.jobResult(run2, 1), new TextEncoder().encode('{"type":"attempt"}'));
  const calls2: number[][] = [];
  const stop2 = watchLostJobs({ jsm, state: { ...state, runId: run2 }, reader: { received: 0, seen: new Set() }, recorded: () => false, note: () => undefined, signal: new AbortController().signal, everyMs: 50, republish: async (seqs) => void calls2.push(seqs) });
  await new Promise((r) => setTimeout(r, 6000));
  await stop2();
  t.deepEqual(calls2, [], 'the reader is behind what is stored: nothing is named lost');
});
