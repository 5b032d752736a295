/**
 * A stored result is never re-run (issue 13 item 10): real nats-server restarted mid-run, real
 * worker processes, each job's side effect counted in a file named by its seq.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { JOB_VERSION, encodeMessage, type JobMessage, type ResultMessage } from '../../shared/nats/schema.js';
import { ensureStreams } from '../../shared/nats/streams.js';
import { JOBS_STREAM, RESULTS_STREAM, subjects } from '../../shared/nats/subjects.js';
import { makeTaskFiles, messagesOn, readResults, recordingIo, sleep, startWorker, useNatsFleet, waitFor } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

/** How many lines each seq's side-effect file holds. */
function sideEffects(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of readdirSync(join(dir, 'effects'))) counts.set(f, readFileSync(join(dir, 'effects', f), 'utf8').split('\n').filter(Boolean).length);
  return counts;
}

/** A connection to the pool's streams (closed in teardown), and a job of `runId` that appends a line to `ranFile` each time it runs. */
async function lineJob(t: { teardown(fn: () => unknown): void }, pool: string, runId: string) {
  const dir = mkdtempSync(join(tmpdir(), `tasker-nats-${pool}-`));
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, fleet.server.url);
  await ensureStreams(jsm, { pool, ackWaitMs: 2000 });
  const { jetstream } = await import('@nats-io/jetstream');
  const js = jetstream(nc);
  const ranFile = join(dir, 'ran.txt');
  const job: JobMessage = {
    v: JOB_VERSION, run_id: runId, seq: 1, task_file: 'job1.sh', file_name: 'job1.sh',
    content: Buffer.from(`echo ran >> '${ranFile}'\n`).toString('base64'), command: '/bin/sh @TASK@', timeout_sec: 30, output_tail: 100,
  };
  return { jsm, js, ranFile, job };
}

test.serial('120 jobs, nats-server restarted twice mid-run: each job\'s side effect happens exactly once', async (t) => {
  const pool = 'once';
  workers.push(await startWorker(fleet.server.url, { name: 'o1', pool, max: 3 }), await startWorker(fleet.server.url, { name: 'o2', pool, max: 3 }));
  const { dir, files } = makeTaskFiles(120, (i, d) => `mkdir -p '${d}/effects'; sleep 0.1; echo ran >> '${d}/effects/${i}'\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs') },
    io,
  );
  await waitFor(() => (io.out().match(/ SUCCESS:/g) ?? []).length >= 30);
  await fleet.server.restart();
  await waitFor(() => (io.out().match(/ SUCCESS:/g) ?? []).length >= 70);
  await fleet.server.restart();
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(r.counts.succeeded, 120);
  const effects = sideEffects(dir);
  t.is(effects.size, 120);
  const twice = [...effects].filter(([, n]) => n !== 1);
  t.deepEqual(twice, [], `jobs whose side effect happened more than once: ${twice.map(([s, n]) => `${s}×${n}`).join(', ')}`);
  t.deepEqual(r.ranMoreThanOnce, [], 'and none is reported as run more than once');
  for (const w of workers.splice(0)) await w.stop();
});

test.serial('a redelivered job whose result is stored is acknowledged without running', async (t) => {
  const pool = 'stored';
  const runId = 'storedrun1';
  const { jsm, js, ranFile, job } = await lineJob(t, pool, runId);
  // The state a lost ack leaves: the job is back in the queue, its result is stored.
  const stored: ResultMessage = {
    v: JOB_VERSION, run_id: runId, seq: 1, task_file: 'job1.sh', status: 'SUCCESS', exit_code: 0, start_time: new Date().toISOString(),
    end_time: new Date().toISOString(), duration_seconds: 0.1, agent: 'earlier-agent', worker: 1, command_executed: '/bin/sh job1.sh',
    error_message: '', stdout_tail: '', stderr_tail: '', delivery: 1,
  };
  await js.publish(subjects.jobResult(runId, 1), encodeMessage(stored));
  await js.publish(subjects.job(pool, runId, 1), encodeMessage(job));
  const w = await startWorker(fleet.server.url, { name: 's1', pool, max: 1 });
  workers.push(w);
  await waitFor(() => w.log().includes('job already has a stored result'));
  const line = w.log().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'job already has a stored result; acknowledged without running');
  t.like(line, { runId, seq: 1, ranOn: 'earlier-agent', status: 'SUCCESS' });
  // Acknowledged: the run's jobs are out of the work queue (another test's may still be in it); and nothing ran.
  await waitFor(async () => (await messagesOn(jsm, JOBS_STREAM, subjects.runJobs(pool, runId))) === 0, 'the stored job to be acknowledged');
  t.false(existsSync(ranFile));
  await w.stop();
  workers.splice(workers.indexOf(w), 1);
});

test.serial('a file queued again in a second message (a hand-off sent twice) that reaches the agent that ran it, also as delivery 1: acknowledged without running, not hidden as a resend', async (t) => {
  const pool = 'twice';
  const runId = 'twicerun1';
  const { jsm, js, ranFile, job } = await lineJob(t, pool, runId);
  const w = await startWorker(fleet.server.url, { name: 'tw1', pool, max: 1 });
  workers.push(w);
  const queued = () => messagesOn(jsm, JOBS_STREAM, subjects.runJobs(pool, runId));
  const stored = () => messagesOn(jsm, RESULTS_STREAM, subjects.jobResult(runId, 1));
  const acked = () => waitFor(async () => (await queued()) === 0, 'the job to be acknowledged', 30_000);
  await js.publish(subjects.job(pool, runId, 1), encodeMessage(job));
  await acked();
  t.is(readFileSync(ranFile, 'utf8'), 'ran\n');
  // The same file queued again as a message of its own: its first delivery, on the same agent.
  await js.publish(subjects.job(pool, runId, 1), encodeMessage(job));
  await acked();
  t.is(readFileSync(ranFile, 'utf8'), 'ran\n', 'it ran once');
  t.true(w.log().includes('job already has a stored result; acknowledged without running'));
  t.is(await stored(), 2, 'one attempt and one result: no second claim, no second result');
  await w.stop();
  workers.splice(workers.indexOf(w), 1);
});

test.serial('an agent SIGKILLed mid-job: the job runs again on another agent, the summary and results name it as run twice with the cause, and the dead agent\'s workspace is removed at the next start', async (t) => {
  const pool = 'lost';
  const workdir = mkdtempSync(join(tmpdir(), 'tasker-nats-work-'));
  const victim = await startWorker(fleet.server.url, { name: 'victim', pool, max: 1, workdir });
  workers.push(victim);
  const { dir, files } = makeTaskFiles(1, (i, d) => `mkdir -p '${d}/effects'; echo ran >> '${d}/effects/${i}'; sleep 3\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs') },
    io,
  );
  await waitFor(() => existsSync(join(dir, 'effects', '1')));
  await victim.kill9();
  const left = readdirSync(workdir).filter((n) => n.includes(`-p${victim.pid}-`));
  t.is(left.length, 1, 'the killed agent left its job workspace behind');
  const survivor = await startWorker(fleet.server.url, { name: 'survivor', pool, max: 1, workdir });
  workers.push(survivor);
  t.deepEqual(readdirSync(workdir).filter((n) => n.includes(`-p${victim.pid}-`)), [], 'removed when an agent starts on the workdir');
  t.regex(survivor.log(), /removed the workspaces of agents that are gone/);
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(readFileSync(join(dir, 'effects', '1'), 'utf8'), 'ran\nran\n', 'it really ran twice');
  t.is(r.ranMoreThanOnce.length, 1);
  t.like(r.ranMoreThanOnce[0], { seq: 1, taskFile: files[0]!.taskFile, runs: 2 });
  t.regex(r.ranMoreThanOnce[0]!.cause, /^agent victim was lost mid-job \(delivery 1; it stored no result and did not answer for \d+ s\)$/);
  const [record] = readResults(r.resultsFile!);
  t.like(record, { status: 'SUCCESS', agent: 'survivor', runs: 2 });
  t.regex(String(record!.rerun_cause), /^agent victim was lost mid-job/);
  t.regex(io.out(), /- Ran more than once: 1\n  - .*task0001\.sh \(seq 1\): ran 2 times: agent victim was lost mid-job/);
  await survivor.stop();
  workers.splice(0);
});
