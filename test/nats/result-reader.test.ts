/**
 * The controller's result reader starting while JetStream does not answer (a cluster settling after
 * a member came back, a server restarting) waits for it instead of failing the run (or until the
 * run is stopped): it makes its consumer once JetStream answers and reads every result stored meanwhile (found by a cluster test:
 * `startResultReader` threw `TimeoutError` out of a run that had just been set up).
 */
import test, { type ExecutionContext } from 'ava';
import { startResultReader } from '../../controller/nats/result-reader.js';
import { connectNats, encodeMessage, ensureStreams, jetStreamManagerOf, JOB_VERSION, subjects, type ResultMessage } from '../../shared/nats/index.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { sleep, waitFor } from './fleet.js';

const result = (runId: string, seq: number): ResultMessage => ({
  v: JOB_VERSION, run_id: runId, seq, task_file: `/tasks/t${seq}.sh`, status: 'SUCCESS', exit_code: 0,
  start_time: '2026-12-07T09:00:00.000Z', end_time: '2026-12-07T09:00:01.000Z', duration_seconds: 1, agent: 'a1', worker: 1,
  command_executed: `/bin/sh /tasks/t${seq}.sh`, error_message: '', stdout_tail: '', stderr_tail: '', delivery: 1,
});

/** A nats-server with the TASKER streams, and a JetStream client of the test's own. */
async function serverWithStreams(t: ExecutionContext) {
  const server = await startNatsServer();
  t.teardown(() => server.dispose());
  const nc = await connectNats({ servers: server.url });
  t.teardown(() => nc.close());
  await ensureStreams(await jetStreamManagerOf(nc, server.url), { pool: 'reader', ackWaitMs: 2000 });
  const { jetstream } = await import('@nats-io/jetstream');
  return { server, js: jetstream(nc) };
}

test('started while the server is down: the reader waits, then reads the results stored before and after', async (t) => {
  const { server, js } = await serverWithStreams(t);
  const runId = 'reader-down';
  await js.publish(subjects.jobResult(runId, 1), encodeMessage(result(runId, 1)));
  await server.stop();

  const seen: number[] = [];
  const problems: string[] = [];
  const starting = startResultReader({ js, runId, total: 2, onResult: (r) => seen.push(r.seq), onProblem: (p) => problems.push(p) });
  await sleep(3000);
  await server.restart();
  const reader = await starting;
  t.teardown(() => reader.stop());
  // Once the client is back (a publish before that times out); the reader keeps the first of duplicates.
  await waitFor(() => js.publish(subjects.jobResult(runId, 2), encodeMessage(result(runId, 2)), { timeout: 1000 }).then(() => true, () => false), 'the second result stored');
  await waitFor(() => seen.length === 2, 'both results');
  t.deepEqual(seen, [1, 2]);
  t.deepEqual(problems, [], 'an outage is no problem to report: the run\'s watch says JetStream is unavailable');
});

test('started while the server is down and the run stopped meanwhile: the reader gives up waiting', async (t) => {
  const { server, js } = await serverWithStreams(t);
  await server.stop();
  const stop = new AbortController();
  const starting = startResultReader({ js, runId: 'reader-stop', total: 1, onResult: () => undefined, onProblem: () => undefined, signal: stop.signal });
  await sleep(1500);
  stop.abort('SIGINT');
  const reader = await starting;
  t.is(reader.received, 0);
  await reader.stop();
});
