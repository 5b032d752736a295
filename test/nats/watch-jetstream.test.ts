/**
 * The controller's JetStream watch (controller/nats/watch-jetstream.ts) with a real nats-server
 * stopped and started again: one note when JetStream has been unavailable for the quiet time, one
 * when it is back, nothing while it answers. (Two of three cluster members lost, the other way a
 * run loses JetStream: test/nats/cluster-quorum.test.ts.)
 */
import test, { type ExecutionContext } from 'ava';
import { connectNats, ensureStreams, jetStreamManagerOf } from '../../shared/nats/index.js';
import { watchJetStream } from '../../controller/nats/watch-jetstream.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { sleep, waitFor } from './fleet.js';

/** A real nats-server with the streams, and a watch on it that probes every 100 ms and goes quiet after 1 s. */
async function watched(t: ExecutionContext, pool: string) {
  const server = await startNatsServer();
  t.teardown(() => server.dispose());
  const nc = await connectNats({ servers: server.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, server.url);
  await ensureStreams(jsm, { pool, ackWaitMs: 30_000 });
  const notes: string[] = [];
  const watch = watchJetStream(jsm, (text) => notes.push(text), { probeMs: 100, quietMs: 1000, repeatMs: 60_000 });
  t.teardown(() => watch.stop());
  return { server, notes, watch };
}

test('a stopped server: "unavailable" after the quiet time, "available again" once it is back, silence while it answers', async (t) => {
  const { server, notes, watch } = await watched(t, 'watch-js');

  await sleep(1500);
  t.deepEqual(notes, [], 'nothing while JetStream answers');
  await server.stop();
  await waitFor(() => notes.length > 0);
  t.regex(notes[0]!, /^parallelr: NATS JetStream unavailable for \d+ s \(.+\): no quorum \(fewer than a majority of the cluster's members up\) or no server reachable\. .*--resume\)$/);
  await server.restart();
  await waitFor(() => notes.length > 1);
  t.regex(notes[1]!, /^parallelr: NATS JetStream available again after \d+ s: the run carries on$/);
  t.is(notes.length, 2, notes.join('\n'));
});

test('a result read while the watch has JetStream quiet says it is back at once, without waiting for a probe', async (t) => {
  const { server, notes, watch } = await watched(t, 'watch-js-read');

  await server.stop();
  await waitFor(() => notes.length > 0);
  t.regex(notes[0]!, /^parallelr: NATS JetStream unavailable for \d+ s/);
  // The server is still down, so no probe can answer: only answered() can say it is back.
  watch.answered();
  t.is(notes.length, 2, notes.join('\n'));
  t.regex(notes[1]!, /^parallelr: NATS JetStream available again after \d+ s: the run carries on$/);
  watch.answered();
  t.is(notes.length, 2, 'said once');
  watch.stop();
  watch.answered();
  t.is(notes.length, 2, 'nothing after stop');
});
