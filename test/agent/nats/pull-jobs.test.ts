/**
 * Bounded batch pulls (agent/nats/pull-jobs.ts, job-slots.ts): an agent asks for its free slots
 * plus one job ahead while jobs are quick; the job waiting for a slot is held with working() so
 * its ack_wait does not run out, and one held behind a job that turned out long is handed back for
 * an idle agent. Real nats-server, real worker processes.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistributed } from '../../../controller/nats/run-distributed.js';
import { connectNats, jetStreamManagerOf } from '../../../shared/nats/connection.js';
import { JOBS_STREAM, poolConsumer } from '../../../shared/nats/subjects.js';
import { makeTaskFiles, readResults, recordingIo, startWorker, useNatsFleet, waitFor, type WorkerProcess } from '../../nats/fleet.js';

const fleet = useNatsFleet(test);

interface Finished {
  message: string;
  agent: string;
  seq: number;
  delivery: number;
}

/** The worker's `job finished` log lines. */
function finished(w: WorkerProcess): Finished[] {
  return w
    .log()
    .split('\n')
    .filter((l) => l.includes('"job finished"'))
    .map((l) => JSON.parse(l) as Finished);
}

function execLines(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'exec.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

test.serial('a job waiting for a slot longer than ack_wait is held with working(): never redelivered, each job runs once', async (t) => {
  const pool = 'held';
  const w = await startWorker(fleet.server.url, { name: 'h1', pool, max: 1, ackWaitSec: 1 });
  fleet.workers.push(w);
  // Each job runs 1.5 s (past ack_wait) while the next one waits on the agent for the slot.
  const { dir, files } = makeTaskFiles(3, (i, d) => `echo ${i} >> '${d}/started.log'; sleep 1.5; echo ${i} >> '${d}/exec.log'\n`);
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close()); // also when an assertion fails (it ends the test)
  const jsm = await jetStreamManagerOf(nc, fleet.server.url);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 1 }, stateDir: join(dir, 'runs') },
    io,
  );
  // While the first job runs on the agent's only slot (from its start until 0.8 s later: it runs
  // 1.5 s), a second one is delivered and waits there, and no third. (Once a job ended, its ack may
  // follow the next job's start by a few ms: not counted here.)
  await waitFor(() => existsSync(join(dir, 'started.log')));
  let pendingOnAgent = 0;
  const until = Date.now() + 800;
  while (Date.now() < until) {
    pendingOnAgent = Math.max(pendingOnAgent, (await jsm.consumers.info(JOBS_STREAM, poolConsumer(pool))).num_ack_pending);
    await new Promise((r) => setTimeout(r, 50));
  }
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(pendingOnAgent, 2, 'one job running and one waiting on the agent');
  const info = await jsm.consumers.info(JOBS_STREAM, poolConsumer(pool));
  t.is(info.num_redelivered, 0, 'no job was redelivered');
  t.deepEqual(finished(w).map((f) => f.delivery), [1, 1, 1]);
  t.deepEqual(execLines(dir).sort(), ['1', '2', '3']);
  t.is(readResults(r.resultsFile!).length, 3);
  await w.stop();
  fleet.workers.splice(0);
});

test.serial('a job held behind one that turned out long is handed back and an idle agent runs it', async (t) => {
  const pool = 'handback';
  const x = await startWorker(fleet.server.url, { name: 'x', pool, max: 1, ackWaitSec: 1 });
  fleet.workers.push(x);
  // Job 1 runs long on x; job 2 was delivered to x ahead of time and waits there.
  const { dir, files } = makeTaskFiles(2, (i, d) => (i === 1 ? `echo start >> '${d}/exec.log'; sleep 6; echo 1 >> '${d}/exec.log'\n` : `echo 2 >> '${d}/exec.log'\n`));
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 1 }, stateDir: join(dir, 'runs') },
    io,
  );
  await waitFor(() => execLines(dir).includes('start'));
  const y = await startWorker(fleet.server.url, { name: 'y', pool, max: 1, ackWaitSec: 1 });
  fleet.workers.push(y);
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  const records = readResults(r.resultsFile!);
  const bySeq = new Map(records.map((x) => [x.task_file, x]));
  t.is(bySeq.get(files[0]!.taskFile)?.agent, 'x');
  t.is(bySeq.get(files[1]!.taskFile)?.agent, 'y', 'the job held behind the long one ran on the idle agent');
  t.deepEqual(execLines(dir), ['start', '2', '1'], 'it ran while the long job was still running, and each ran once');
  t.deepEqual(finished(y).map((f) => f.delivery), [2], 'handed back once: its second delivery ran it');
  for (const w of fleet.workers.splice(0)) await w.stop();
});
