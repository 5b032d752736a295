/**
 * Starting while a 3-node cluster has no quorum (two members down: JetStream gives no answer, then
 * "temporarily unavailable"): a controller and an agent wait for it, say so once, and carry on when
 * a member comes back; past the patience they fail naming the outage (shared/nats/setup-patience.ts).
 * A first run while a member is stopped (its R3 streams cannot be placed on two) waits for it the same way.
 */
import test, { type ExecutionContext } from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { connectNats, ensureRecordsStream, jetStreamManagerOf, JOBS_STREAM, placementFailure, RECORDS_STREAM, RESULTS_STREAM, setUpJetStream } from '../../shared/nats/index.js';
import { launchWorker, makeTaskFiles, readResults, recordingIo, sleep, startWorker, waitFor } from './fleet.js';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ClusterNode } from '../helpers/nats-server.js';
import { startClusterPool, useCluster } from './cluster-tools.js';

const fixture = useCluster(test);

test.serial('a run and an agent started without a quorum wait, say so, and carry on when a member comes back', async (t) => {
  const pool = 'start';
  const cluster = fixture.cluster();
  await startClusterPool(t, fixture, pool, ['s1', 's2']);
  const [, second, third] = cluster.nodes;
  await Promise.all([second!.kill9(), third!.kill9()]);

  const { dir, files } = makeTaskFiles(12, (i) => `echo ${i}\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  let ended = false;
  const run = runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: cluster.url.split(','), pool, ackWaitSec: 2, replicas: 3 }, stateDir: join(dir, 'runs') }, io)
    .finally(() => (ended = true));
  const agent = startWorker(cluster.url, { name: 's3', pool, max: 2, env: { TASKER_NATS_REPLICAS: '3' } });
  void agent.then((w) => fixture.workers.push(w), () => undefined);

  await sleep(8000);
  t.false(ended, `the run waits for JetStream: ${io.err()}`);
  t.regex(io.err(), /^parallelr: NATS JetStream at \S+ does not answer yet \((?:no answer|JetStream system temporarily unavailable)\): trying again for up to 60 s \(a cluster member restarting or electing a leader answers within seconds\)\n$/);

  await second!.start();
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(readResults(r.resultsFile!).filter((rec) => rec.status === 'SUCCESS').length, 12);
  t.is(io.err().match(/does not answer yet/g)?.length, 1, 'said once');
  const s3 = await agent;
  t.regex(s3.log(), /"level":"warn","message":"NATS JetStream at \S+ does not answer yet/, 'the agent waited too, and said so');
  await third!.start();
});

test.serial('JetStream without a quorum for longer than the patience: the set-up fails naming the outage and how long it waited; a run interrupted meanwhile ends with 130', async (t) => {
  const cluster = fixture.cluster();
  const [first, second, third] = cluster.nodes;
  await cluster.waitReady();
  await Promise.all([second!.kill9(), third!.kill9()]);
  t.teardown(() => Promise.all([second!.start(), third!.start()]));
  const nc = await connectNats({ servers: first!.url });
  t.teardown(() => nc.close());
  // Until the survivor sees the quorum gone (a leader keeps answering for a moment).
  const { jetstreamManager } = await import('@nats-io/jetstream');
  await waitFor(async () => jetstreamManager(nc, { timeout: 1000 }).then((m) => m.getAccountInfo()).then(() => false, () => true), 'the quorum loss to show');
  const notes: string[] = [];
  // Longer than one unanswered call (5 s), so the wait is said before it ends.
  const error = await t.throwsAsync(setUpJetStream(nc, first!.url, (jsm) => jsm.getAccountInfo(), { patienceMs: 6000, note: (n) => notes.push(n) }));
  t.regex(error!.message, /^JetStream at \S+ did not answer for (?:[6-9]|1[0-2]) s \((?:no answer|JetStream system temporarily unavailable)\): no quorum \(fewer than a majority of the cluster's members up\) or no server reachable$/);
  t.is(notes.length, 1);

  const { dir, files } = makeTaskFiles(2, (i) => `echo ${i}\n`);
  const stop = new AbortController();
  const io = recordingIo({ PARALLELR_HOME: dir }, stop.signal);
  const run = runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [first!.url], pool: 'start-stop', ackWaitSec: 2 }, stateDir: join(dir, 'runs') }, io);
  await waitFor(() => io.err().includes('does not answer yet'));
  stop.abort('SIGINT');
  const r = await run;
  t.is(r.exitCode, 130, io.err());
  t.is(r.published, 0);
  t.regex(io.err(), /\nparallelr: stopped while waiting for NATS JetStream at \S+ \((?:no answer|JetStream system temporarily unavailable)\)\n$/);
  t.deepEqual(readdirSync(join(dir, 'runs')), [], 'nothing was published: no run state is left behind');
});

test.serial('a first run while a member is stopped for an upgrade: its R3 streams cannot be placed yet; the run and an agent wait, say so, and carry on when the member is back', async (t) => {
  const cluster = fixture.cluster();
  const { jsm, third } = await memberStoppedWithout(t, [JOBS_STREAM, RESULTS_STREAM, RECORDS_STREAM]);

  const pool = 'upgrade';
  const { dir, files } = makeTaskFiles(4, (i) => `echo ${i}\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: cluster.url.split(','), pool, ackWaitSec: 2, replicas: 3 }, stateDir: join(dir, 'runs') }, io);
  const agent = launchWorker(cluster.url, { name: 'u1', pool, max: 2, env: { TASKER_NATS_REPLICAS: '3' } });
  fixture.workers.push(agent.worker);
  await waitFor(() => io.err().includes('cannot place'), 'the run to say it waits');
  await waitFor(() => agent.worker.log().includes('cannot place'), 'the agent to say it waits');
  t.regex(io.err(), /^parallelr: NATS JetStream at \S+ cannot place the streams' replicas yet \(no suitable peers for placement[^)]*\): trying again for up to 60 s \(a member stopped for a restart or an upgrade is back within seconds\)\n$/);

  await third.start();
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(readResults(r.resultsFile!).filter((rec) => rec.status === 'SUCCESS').length, 4);
  t.is(io.err().match(/cannot place/g)?.length, 1, 'said once');
  await agent.ready;
  t.regex(agent.worker.log(), /"level":"warn","message":"NATS JetStream at \S+ cannot place the streams' replicas yet/, 'the agent waited too, and said so');
  t.is((await jsm.streams.info(RECORDS_STREAM)).config.num_replicas, 3);
});

test.serial('a stream that cannot be placed for longer than the patience: one line naming the stream, its replicas, the fix and how long it was tried', async (t) => {
  const { nc, first } = await memberStoppedWithout(t, [RECORDS_STREAM]);

  const notes: string[] = [];
  const error = await t.throwsAsync(setUpJetStream(nc, first.url, (m) => ensureRecordsStream(m, { replicas: 3 }), { patienceMs: 2000, note: (n) => notes.push(n) }));
  t.regex(error!.message, /^cannot create stream TASKER_RECORDS with 3 replicas: no suitable peers for placement[^:]*: fewer JetStream servers up than replicas; start the stopped member, or set nats\.replicas \(or --nats-replicas\) to at most the number of JetStream servers in the cluster \(1 for a single server\) \(tried for [2-9] s\)$/);
  t.is(notes.length, 1);
});

/**
 * The cluster ready, `streams` deleted, its third member stopped (SIGTERM, as an upgrade does; started
 * again at the test's end), until a new R3 stream cannot be placed; a connection to the first member.
 */
async function memberStoppedWithout(t: ExecutionContext, streams: string[]): Promise<{ nc: NatsConnection; jsm: JetStreamManager; first: ClusterNode; third: ClusterNode }> {
  const cluster = fixture.cluster();
  const [first, , third] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  await cluster.waitReady();
  const nc = await connectNats({ servers: first.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, first.url);
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
  await third.stop();
  t.teardown(() => third.start());
  await untilPlacementFails(jsm);
  return { nc, jsm, first, third };
}

/** Until a new R3 stream cannot be placed (the cluster marked the stopped member offline); a probe that could be is deleted. */
async function untilPlacementFails(jsm: JetStreamManager): Promise<void> {
  let n = 0;
  await waitFor(async () => {
    const name = `PLACE_PROBE_${++n}`;
    const failure = await jsm.streams.add({ name, subjects: [`place-probe.${n}`], num_replicas: 3 }).then(() => undefined, (e: unknown) => e);
    if (failure === undefined) await jsm.streams.delete(name).catch(() => undefined);
    return placementFailure(failure) !== undefined;
  }, 'the stopped member to show offline', 60_000);
}
