/** Publishing jobs reads each file bounded: a FIFO or an oversized file is a named failure, never a hang or a whole read. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishJobs, type PublishFailure } from '../../controller/nats/publisher.js';
import type { RunState } from '../../controller/nats/run-state.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { openStreamPublisher } from '../../shared/nats/stream-publisher.js';
import { ensureStreams } from '../../shared/nats/streams.js';
import { JOBS_STREAM } from '../../shared/nats/subjects.js';
import { makeTaskFiles, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);

test.serial('a FIFO and a file larger than a job can hold are refused by name; the regular files are published', async (t) => {
  const { dir, files } = makeTaskFiles(4, (i) => `echo ${i}\n`);
  execFileSync('mkfifo', [files[1]!.path + '.fifo']);
  files[1] = { ...files[1]!, path: files[1]!.path + '.fifo' };
  // Sparse: 64 GiB on paper, nothing on disk; reading it whole would never end.
  writeFileSync(files[2]!.path, '');
  truncateSync(files[2]!.path, 64 * 1024 ** 3);
  const state: RunState = {
    version: 1, runId: 'publisher-bounded', createdAt: new Date().toISOString(), servers: [fleet.server.url], pool: 'pub1',
    command: '/bin/sh @TASK@', timeoutSeconds: 30, maxOutputCapture: 1000, stopLimits: null, resultsFile: join(dir, 'results.jsonl'),
    files, status: 'running',
  };
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  await ensureStreams(await jetStreamManagerOf(nc, fleet.server.url), { pool: 'pub1', ackWaitMs: 2000 });
  const failures: PublishFailure[] = [];
  const stored = await publishJobs({ store: await openStreamPublisher(nc), state, seqs: [1, 2, 3, 4], maxPayload: 1 << 20, onFailure: (f) => failures.push(f) });
  t.is(stored, 2);
  t.deepEqual(failures.map((f) => f.seq), [2, 3]);
  t.regex(failures[0]!.error, /cannot read task file .*\.fifo: it is a FIFO \(named pipe\), not a regular file/);
  t.regex(failures[1]!.error, /task file too large for NATS/);
});

/** A run's state for publishing `files` to `pool`. */
function stateFor(runId: string, pool: string, dir: string, files: RunState['files']): RunState {
  return {
    version: 1, runId, createdAt: new Date().toISOString(), servers: [fleet.server.url], pool, command: '/bin/sh @TASK@',
    timeoutSeconds: 30, maxOutputCapture: 1000, stopLimits: null, resultsFile: join(dir, 'results.jsonl'), files, status: 'running',
  };
}

test.serial('no jobs stream for longer than 20 tries of backoff: the jobs wait, none is recorded as failed, and all are stored once it is back', async (t) => {
  const { dir, files } = makeTaskFiles(3, (i) => `echo ${i}\n`);
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, fleet.server.url);
  await jsm.streams.delete(JOBS_STREAM).catch(() => undefined); // nothing stores tasker.jobs.>: 503, no responders
  const failures: PublishFailure[] = [];
  const publishing = publishJobs({ store: await openStreamPublisher(nc), state: stateFor('publisher-outage', 'pub2', dir, files), seqs: [1, 2, 3], maxPayload: 1 << 20, onFailure: (f) => failures.push(f) });
  // 20 tries with the backoff (250 ms growing to 2 s) take about 33 s: the outage lasts longer.
  await new Promise((r) => setTimeout(r, 36_000));
  t.deepEqual(failures, [], 'an outage is waited out, not recorded as a failure');
  await ensureStreams(jsm, { pool: 'pub2', ackWaitMs: 2000 });
  t.is(await publishing, 3);
  t.deepEqual(failures, []);
  t.is((await jsm.streams.info(JOBS_STREAM)).state.messages, 3);
});

test.serial('stopped while JetStream cannot store the jobs: publishing ends at once, nothing stored, nothing recorded as failed', async (t) => {
  const { dir, files } = makeTaskFiles(2, (i) => `echo ${i}\n`);
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, fleet.server.url);
  await jsm.streams.delete(JOBS_STREAM).catch(() => undefined);
  const stop = new AbortController();
  const failures: PublishFailure[] = [];
  const publishing = publishJobs({ store: await openStreamPublisher(nc), state: stateFor('publisher-stop', 'pub3', dir, files), seqs: [1, 2], maxPayload: 1 << 20, signal: stop.signal, onFailure: (f) => failures.push(f) });
  await new Promise((r) => setTimeout(r, 1500));
  stop.abort('STOP');
  t.is(await publishing, 0, 'publishing ends (it would retry for ever without the stop)');
  t.deepEqual(failures, [], 'the run records the unpublished jobs as cancelled, not failed');
  await ensureStreams(jsm, { pool: 'pub3', ackWaitMs: 2000 });
});
