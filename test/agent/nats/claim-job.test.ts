/** claimJob against a real nats-server: what the last stored message of a job decides. */
import test from 'ava';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { claimJob, type ClaimContext, type HoldsReply } from '../../../agent/nats/claim-job.js';
import { connectNats, jetStreamManagerOf } from '../../../shared/nats/connection.js';
import { parseStoredMessage } from '../../../shared/nats/attempt.js';
import { JOB_VERSION, encodeMessage, type JobMessage, type ResultMessage } from '../../../shared/nats/schema.js';
import { ensureStreams } from '../../../shared/nats/streams.js';
import { RESULTS_STREAM, subjects } from '../../../shared/nats/subjects.js';
import { openStreamPublisher, type StreamPublisher } from '../../../shared/nats/stream-publisher.js';
import { StoreError } from '../../../shared/errors/index.js';
import { startNatsServer, type TestNatsServer } from '../../helpers/nats-server.js';

let server: TestNatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let store: StreamPublisher;

test.before(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url });
  jsm = await jetStreamManagerOf(nc, server.url);
  await ensureStreams(jsm, { pool: 'claims', ackWaitMs: 30_000 });
  const { jetstream } = await import('@nats-io/jetstream');
  js = jetstream(nc);
  store = await openStreamPublisher(nc);
});
test.after.always(async () => {
  await nc?.close();
  await server?.dispose();
});

function job(runId: string): JobMessage {
  return { v: JOB_VERSION, run_id: runId, seq: 1, task_file: 't.sh', file_name: 't.sh', content: '', command: 'true', timeout_sec: 0, output_tail: 0 };
}

function context(agent: string, instance: string, lostAfterMs = 0): ClaimContext {
  return { nc, store, jsm, agent, instance, delivery: 2, lostAfterMs, silentSince: new Map() };
}

/** Agent `a`'s claim, then an answer on its holds subject (undefined: nobody answers). */
async function claimedByA(runId: string, answer: HoldsReply | undefined): Promise<() => void> {
  const first = await claimJob(job(runId), context('a', `inst-a-${runId}`));
  if (!first.run) throw new Error('the first claim must win');
  if (!answer) return () => undefined;
  const sub = nc.subscribe(subjects.holds(`inst-a-${runId}`), { callback: (_e, m) => m.respond(new TextEncoder().encode(JSON.stringify(answer))) });
  await nc.flush();
  return () => sub.unsubscribe();
}

test('a new job: the claim stores an attempt and says run', async (t) => {
  const claim = await claimJob(job('new1'), context('a', 'inst-new1'));
  t.deepEqual(claim, { run: true, earlier: [] });
  const last = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subjects.jobResult('new1', 1) });
  const stored = parseStoredMessage(last!.data);
  t.is(stored.kind, 'attempt');
  if (stored.kind === 'attempt') t.like(stored.value, { run_id: 'new1', seq: 1, agent: 'a', instance: 'inst-new1', delivery: 2 });
});

test('a job whose result is stored: not run, the result is returned', async (t) => {
  await claimJob(job('done1'), context('a', 'inst-done1'));
  const result: ResultMessage = {
    v: JOB_VERSION, run_id: 'done1', seq: 1, task_file: 't.sh', status: 'SUCCESS', exit_code: 0, start_time: '', end_time: '', duration_seconds: 0,
    agent: 'a', worker: 1, command_executed: 'true', error_message: '', stdout_tail: '', stderr_tail: '', delivery: 1,
  };
  await js.publish(subjects.jobResult('done1', 1), encodeMessage(result));
  const claim = await claimJob(job('done1'), context('b', 'inst-b'));
  t.false(claim.run);
  t.like(claim, { stored: { agent: 'a', status: 'SUCCESS' } });
});

test('held by a live agent: not run, the holder is named', async (t) => {
  const stop = await claimedByA('held1', { holding: true });
  t.teardown(stop);
  t.deepEqual(await claimJob(job('held1'), context('b', 'inst-b')), { run: false, heldBy: 'a' });
});

test('a holder that stopped holding without a result: run again, its execution named', async (t) => {
  const stop = await claimedByA('gave1', { holding: false, ran: true });
  t.teardown(stop);
  const claim = await claimJob(job('gave1'), context('b', 'inst-b'));
  t.true(claim.run);
  if (claim.run) {
    t.is(claim.earlier.length, 1);
    t.like(claim.earlier[0], { agent: 'a', cause: 'agent a stopped holding the job (delivery 2) without storing a result' });
  }
});

test('a holder whose claim failed before running: run, and it is not counted as an execution', async (t) => {
  const stop = await claimedByA('unrun1', { holding: false, ran: false });
  t.teardown(stop);
  t.deepEqual(await claimJob(job('unrun1'), context('b', 'inst-b')), { run: true, earlier: [] });
});

test('a silent holder: held while it may still be reconnecting, lost after lostAfterMs', async (t) => {
  await claimedByA('silent1', undefined);
  const ctx = context('b', 'inst-b', 60_000);
  t.deepEqual(await claimJob(job('silent1'), ctx), { run: false, heldBy: 'a' });
  // The same holder, silent since long ago.
  ctx.silentSince.set('inst-a-silent1:silent1:1', Date.now() - 61_000);
  const claim = await claimJob(job('silent1'), ctx);
  t.true(claim.run);
  if (claim.run) t.regex(claim.earlier[0]!.cause, /^agent a was lost mid-job \(delivery 2; it stored no result and did not answer for 61 s\)$/);
  // The new attempt carries the lost run, so a later claimant knows of it too.
  const last = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subjects.jobResult('silent1', 1) });
  const stored = parseStoredMessage(last!.data);
  t.true(stored.kind === 'attempt' && stored.value.agent === 'b' && stored.value.earlier_runs.length === 1);
});

test('two agents claiming at once: exactly one wins, the other finds it held', async (t) => {
  // Both answer as a worker does: they hold what they claimed.
  for (const i of ['inst-b', 'inst-c']) {
    const sub = nc.subscribe(subjects.holds(i), { callback: (_e, m) => m.respond(new TextEncoder().encode('{"holding":true}')) });
    t.teardown(() => sub.unsubscribe());
  }
  await nc.flush();
  const claims = await Promise.all([claimJob(job('race1'), context('b', 'inst-b', 60_000)), claimJob(job('race1'), context('c', 'inst-c', 60_000))]);
  t.is(claims.filter((c) => c.run).length, 1);
  t.is(claims.filter((c) => !c.run && 'heldBy' in c).length, 1);
});

test('its own attempt of this very claim (stored, the answer lost in a leader election): run, nothing named as lost', async (t) => {
  // The server stores the first publish, but its answer is lost (a timeout): the claim sends it again.
  let publishes = 0;
  const answerLost: StreamPublisher = {
    ...store,
    publish: async (...args: Parameters<StreamPublisher['publish']>) => {
      const ack = await store.publish(...args);
      if (++publishes === 1) throw new StoreError('no answer from JetStream in time', { transient: true });
      return ack;
    },
  };
  t.deepEqual(await claimJob(job('self1'), { ...context('a', 'inst-self1'), store: answerLost }), { run: true, earlier: [] });
  t.is(publishes, 2);
  const info = await jsm.streams.info(RESULTS_STREAM, { subjects_filter: subjects.jobResult('self1', 1) });
  t.is(Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0), 1, 'one attempt stored');
});

test('a second claim of the job by the same agent with the same delivery count (a second message of the file) is not taken for a resend of the first', async (t) => {
  const ctx = context('a', 'inst-self3');
  t.deepEqual(await claimJob(job('self3'), ctx), { run: true, earlier: [] });
  const result: ResultMessage = {
    v: JOB_VERSION, run_id: 'self3', seq: 1, task_file: 't.sh', status: 'SUCCESS', exit_code: 0, start_time: new Date().toISOString(),
    end_time: new Date().toISOString(), duration_seconds: 0, agent: 'a', worker: 1, command_executed: 'true', error_message: '', stdout_tail: '', stderr_tail: '', delivery: 2,
  };
  await js.publish(subjects.jobResult('self3', 1), encodeMessage(result));
  t.like(await claimJob(job('self3'), { ...ctx, silentSince: new Map() }), { run: false, stored: { agent: 'a', status: 'SUCCESS' } });
});

test('its own attempt of an earlier delivery: judged from its own memory, never by asking itself', async (t) => {
  // Delivery 2 claimed; the job came back (delivery 3) to the same agent, which is now claiming it.
  await claimJob(job('self2'), context('a', 'inst-self2'));
  // Its own holds subject would answer "holding" (this claim holds the key): it must not be asked.
  const sub = nc.subscribe(subjects.holds('inst-self2'), { callback: (_e, m) => m.respond(new TextEncoder().encode('{"holding":true}')) });
  t.teardown(() => sub.unsubscribe());
  await nc.flush();
  const never = await claimJob(job('self2'), { ...context('a', 'inst-self2'), delivery: 3, selfReply: { holding: false, ran: false } });
  t.deepEqual(never, { run: true, earlier: [] }, 'its claim failed before running: not an execution');
  const ran = await claimJob(job('self2'), { ...context('a', 'inst-self2'), delivery: 4, selfReply: { holding: false, ran: true } });
  t.true(ran.run);
  if (ran.run) t.regex(ran.earlier[0]?.cause ?? '', /^agent a stopped holding the job \(delivery 3\) without storing a result$/);
});
