/**
 * A batch in the hands of real agents: parts stuck behind a long file are handed off to an idle
 * agent, a malformed batch is reported per file and terminated, and an agent killed mid-batch
 * leaves every file's result exactly once (with `earlier_runs` for the files it had started).
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import { encodeMessage, parseResult, type ResultMessage } from '../../shared/nats/schema.js';
import { JOBS_STREAM, RESULTS_STREAM, subjects } from '../../shared/nats/subjects.js';
import { makeTaskFiles, messagesOn, readResults, recordingIo, sleep, tally, useNatsFleet, waitFor, agentForTest, connectPool, shellJob } from './fleet.js';

const fleet = useNatsFleet(test);

const agent = (t: Parameters<typeof agentForTest>[0], name: string, pool: string, max: number) => agentForTest(t, fleet, name, pool, max);

const connect = (t: Parameters<typeof agentForTest>[0], pool: string) => connectPool(t, fleet.server.url, pool);

/** How many lines file `i`'s side-effect file holds (0 when it never ran). */
const ranTimes = (dir: string, i: number) => (existsSync(join(dir, `ran-${i}`)) ? readFileSync(join(dir, `ran-${i}`), 'utf8').split('\n').filter(Boolean).length : 0);

const recordOf = (records: TaskRecord[], file: string) => records.find((x) => x.task_file === file);

test.serial('parts waiting behind a long file on a one-slot agent are handed off, and an idle agent runs them, each once', async (t) => {
  const pool = 'handoff';
  const { nc } = await connect(t, pool);
  const first = await agent(t, 'first', pool, 1);
  // File 1 runs 4 s; files 2 and 3 are quick, but wait in the batch for first's only slot.
  const { dir, files } = makeTaskFiles(3, (i, d) => `echo ran >> '${d}/ran-${i}'${i === 1 ? '; sleep 4' : ''}\n`);
  const runId = 'handoff-3';
  const seen: string[] = [];
  nc.subscribe(subjects.runJobs(pool, runId), { callback: (_e, m) => seen.push(m.subject.slice(m.subject.lastIndexOf('.') + 1)) });
  await nc.flush();
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, batch: 3, runId, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true },
    io,
  );
  await waitFor(() => ranTimes(dir, 1) === 1);
  t.is(ranTimes(dir, 2) + ranTimes(dir, 3), 0, 'files 2 and 3 wait for the slot');
  await agent(t, 'second', pool, 2);
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.deepEqual(seen.slice(0, 1), ['1-3'], 'one batch published');
  t.deepEqual(seen.slice(1).sort(), ['2', '3'], 'files 2 and 3 handed off, each as a job of its own');
  const records = readResults(r.resultsFile!);
  t.is(records.length, 3);
  t.like(recordOf(records, files[0]!.taskFile), { status: 'SUCCESS', agent: 'first' });
  t.like(recordOf(records, files[1]!.taskFile), { status: 'SUCCESS', agent: 'second' });
  t.like(recordOf(records, files[2]!.taskFile), { status: 'SUCCESS', agent: 'second' });
  t.deepEqual([1, 2, 3].map((i) => ranTimes(dir, i)), [1, 1, 1], 'each file ran once');
  t.deepEqual(r.ranMoreThanOnce, []);
  t.true(records.every((x) => x.runs === undefined));
  t.regex(first.log(), /"message":"job finished".*"seq":1/);
  t.notRegex(first.log(), /"message":"job finished"[^\n]*"seq":[23]\b/);
});

/** The results stored for `seqs` of a run, read straight from the results stream. */
async function storedResults(jsm: JetStreamManager, runId: string, seqs: number[]): Promise<(ResultMessage | undefined)[]> {
  return Promise.all(seqs.map(async (seq) => {
    const m = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subjects.jobResult(runId, seq) }).catch(() => undefined);
    const r = m ? parseResult(m.data) : undefined;
    return r?.ok ? r.value : undefined;
  }));
}

const batchMessage = (runId: string, jobs: unknown[]) => new TextEncoder().encode(JSON.stringify({ type: 'batch', v: 1, run_id: runId, jobs }));

test.serial('a malformed batch: terminated, an ERROR result for each of its files naming the bad job, and the agent serves the next job', async (t) => {
  const pool = 'malformed';
  const { nc, jsm } = await connect(t, pool);
  const js = jetstream(nc);
  const { dir } = makeTaskFiles(0, () => '');
  const runId = 'malformed-1';
  await js.publish(subjects.jobBatch(pool, runId, 1, 3), batchMessage(runId, [
    shellJob(runId, 1, `echo ran >> '${dir}/ran-1'\n`), shellJob(runId, 2, 'true\n', { command: 5 as unknown as string }), shellJob(runId, 3, `echo ran >> '${dir}/ran-3'\n`),
  ]));
  const w = await agent(t, 'm1', pool, 2);
  let results: (ResultMessage | undefined)[] = [];
  await waitFor(() => w.log().includes('malformed job terminated'));
  while ((results = await storedResults(jsm, runId, [1, 2, 3])).some((r) => !r)) await sleep(50);
  for (const [i, r] of results.entries()) {
    t.like(r, { run_id: runId, seq: i + 1, status: 'ERROR', exit_code: null, agent: 'm1' });
    t.regex(r!.error_message, /^Error: malformed job: job 2 of the batch: .*`command` must be a string/);
  }
  t.deepEqual(results.map((r) => r!.task_file), ['', '', ''], 'no result names another file of the batch as its own');
  t.is(ranTimes(dir, 1) + ranTimes(dir, 3), 0, 'no file of a refused batch runs');
  // Terminated after its results are stored: it leaves the queue and is never delivered again.
  await waitFor(async () => (await messagesOn(jsm, JOBS_STREAM, subjects.runJobs(pool, runId))) === 0, 'the refused batch to leave the queue');
  t.is((w.log().match(/malformed job terminated/g) ?? []).length, 1, 'delivered once');

  // A batch with a job of another run: the ERROR results go to the batch's run, never to the other run.
  const other = 'malformed-other';
  await js.publish(subjects.jobBatch(pool, runId, 4, 5), batchMessage(runId, [shellJob(runId, 4, 'true\n'), shellJob(other, 5, 'true\n')]));
  while ((results = await storedResults(jsm, runId, [4, 5])).some((r) => !r)) await sleep(50);
  t.regex(results[0]!.error_message, /job 2 of the batch belongs to run `malformed-other`/);
  t.deepEqual(await storedResults(jsm, other, [4, 5]), [undefined, undefined]);

  // The agent carries on: the next job runs.
  const next = 'malformed-next';
  await js.publish(subjects.job(pool, next, 1), encodeMessage(shellJob(next, 1, `echo ran >> '${dir}/ran-9'\n`)));
  let after: (ResultMessage | undefined)[] = [];
  while (!(after = await storedResults(jsm, next, [1]))[0]) await sleep(50);
  t.like(after[0], { status: 'SUCCESS', exit_code: 0, agent: 'm1' });
  t.is(ranTimes(dir, 9), 1);
});

test.serial('an agent SIGKILLed mid-batch: each file recorded once; the files it had started run again and carry earlier_runs', async (t) => {
  const pool = 'batchkill';
  await connect(t, pool);
  const victim = await agent(t, 'victim', pool, 2);
  const { dir, files } = makeTaskFiles(4, (i, d) => `echo ran >> '${d}/ran-${i}'; sleep 2\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, batch: 4, runId: 'batch-kill', nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true },
    io,
  );
  // Files 1 and 2 run in the victim's two slots; 3 and 4 wait in the batch.
  await waitFor(() => ranTimes(dir, 1) === 1 && ranTimes(dir, 2) === 1);
  await victim.kill9();
  await agent(t, 'survivor', pool, 2);
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  const records = readResults(r.resultsFile!);
  t.is(records.length, 4);
  t.deepEqual([...tally(records.map((x) => x.task_file))].filter(([, n]) => n !== 1), [], 'each file recorded once');
  t.true(records.every((x) => x.status === 'SUCCESS' && x.agent === 'survivor'));
  for (const i of [1, 2]) {
    t.like(recordOf(records, files[i - 1]!.taskFile), { runs: 2 }, `file ${i}`);
    t.regex(String(recordOf(records, files[i - 1]!.taskFile)!.rerun_cause), /^agent victim was lost mid-job/);
    t.is(ranTimes(dir, i), 2, `file ${i} ran on both agents`);
  }
  for (const i of [3, 4]) {
    t.is(recordOf(records, files[i - 1]!.taskFile)!.runs, undefined, `file ${i} never started on the victim`);
    t.is(ranTimes(dir, i), 1, `file ${i} ran once`);
  }
  t.deepEqual(r.ranMoreThanOnce.map((x) => x.seq).sort(), [1, 2]);
});
