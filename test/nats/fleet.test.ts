/** Real nats-server, real worker processes: sharing, an agent killed with SIGKILL, a server restart, malformed jobs. */
import test from 'ava';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { connectNats } from '../../shared/nats/connection.js';
import { subjects } from '../../shared/nats/subjects.js';
import { makeTaskFiles, readResults, recordingIo, startWorker, tally, waitFor, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

function execCounts(dir: string): Map<string | null, number> {
  return tally(readFileSync(join(dir, 'exec.log'), 'utf8').split('\n').filter(Boolean));
}

/** Every task file has exactly one SUCCESS record and nothing else is in the file. */
function assertEachOnce(t: import('ava').ExecutionContext, resultsFile: string, files: { taskFile: string }[]) {
  const records = readResults(resultsFile);
  t.is(records.length, files.length);
  const byFile = tally(records.map((r) => r.task_file));
  for (const f of files) t.is(byFile.get(f.taskFile), 1, `${f.taskFile} recorded once`);
  t.deepEqual([...new Set(records.map((r) => r.status))], ['SUCCESS']);
  return records;
}

test.serial('three agents share a run and every job runs and is recorded exactly once', async (t) => {
  const pool = 'share';
  for (const name of ['a1', 'a2', 'a3']) workers.push(await startWorker(fleet.server.url, { name, pool, max: 2 }));
  const { dir, files } = makeTaskFiles(90, (i, d) => `echo ${i} >> '${d}/exec.log'\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs') },
    io,
  );
  t.is(r.exitCode, 0, io.err());
  t.is(r.counts.succeeded, 90);
  const records = assertEachOnce(t, r.resultsFile!, files);
  const exec = execCounts(dir);
  t.is(exec.size, 90);
  t.true([...exec.values()].every((n) => n === 1));
  // the work really was shared, and every record names its agent
  t.deepEqual([...new Set(records.map((x) => x.agent))].sort(), ['a1', 'a2', 'a3']);
  t.regex(io.out(), /Agents:\n- a1: \d+ tasks/);
  // The host recap of a distributed run is per agent (its records name no hosts): it matches the records.
  const perAgent = tally(records.map((x) => x.agent));
  t.regex(io.out(), /Host Recap:\n\(per agent: /);
  for (const a of ['a1', 'a2', 'a3']) t.true(io.out().includes(`- ${a} : ok=${perAgent.get(a)} failed=0 skipped=0 timed_out=0 unreachable=0 ran_on=nats\n`), io.out());
  for (const w of workers.splice(0)) await w.stop();
});

test.serial('an agent killed with SIGKILL mid-run: its jobs are redelivered and every job completes exactly once', async (t) => {
  const pool = 'kill9';
  const victim = await startWorker(fleet.server.url, { name: 'victim', pool, max: 2, ackWaitSec: 2 });
  const survivor = await startWorker(fleet.server.url, { name: 'survivor', pool, max: 2, ackWaitSec: 2 });
  workers.push(victim, survivor);
  const { dir, files } = makeTaskFiles(60, () => 'sleep 0.1\n');
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs') },
    io,
  );
  await waitFor(() => (io.out().match(/ on victim#/g) ?? []).length >= 4);
  await victim.kill9();
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  const records = assertEachOnce(t, r.resultsFile!, files);
  t.true(records.some((x) => x.agent === 'victim'));
  t.true(records.some((x) => x.agent === 'survivor'));
  await survivor.stop();
  workers.splice(0);
});

test.serial('nats-server restarted mid-run: the run completes, every job recorded exactly once', async (t) => {
  const pool = 'restart';
  workers.push(await startWorker(fleet.server.url, { name: 'r1', pool, max: 2 }), await startWorker(fleet.server.url, { name: 'r2', pool, max: 2 }));
  const { dir, files } = makeTaskFiles(80, () => 'sleep 0.05\n');
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs') },
    io,
  );
  await waitFor(() => (io.out().match(/ SUCCESS:/g) ?? []).length >= 10);
  await fleet.server.restart();
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  assertEachOnce(t, r.resultsFile!, files);
  t.is(r.counts.succeeded, 80);
  for (const w of workers.splice(0)) await w.stop();
});

test.serial('malformed job messages are terminated and reported; the agent keeps working', async (t) => {
  const pool = 'malformed';
  const w = await startWorker(fleet.server.url, { name: 'm1', pool, max: 1 });
  workers.push(w);
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close()); // also when an assertion fails (it ends the test)
  const { jetstream } = await import('@nats-io/jetstream');
  const js = jetstream(nc);
  await js.publish(subjects.job(pool, 'junk', 1), new TextEncoder().encode('not json at all'));
  await js.publish(subjects.job(pool, 'junk', 2), new TextEncoder().encode(JSON.stringify({ v: 1, run_id: 'junk', seq: 2, command: 7 })));
  const { dir, files } = makeTaskFiles(5, (i) => `echo ok ${i}\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs') },
    io,
  );
  t.is(r.exitCode, 0, io.err());
  assertEachOnce(t, r.resultsFile!, files);
  const terminated = w
    .log()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { message: string; error?: string; subject?: string })
    .filter((l) => l.message === 'malformed job terminated');
  t.deepEqual(terminated.map((l) => l.subject), [subjects.job(pool, 'junk', 1), subjects.job(pool, 'junk', 2)]);
  t.regex(terminated[0]!.error!, /^payload is not JSON/);
  t.regex(terminated[1]!.error!, /`command` must be a string/);
  t.is(w.child.exitCode, null);
  await w.stop();
  workers.splice(0);
});

test.serial('a job longer than ack_wait is kept alive with working() and runs once', async (t) => {
  const pool = 'long';
  workers.push(await startWorker(fleet.server.url, { name: 'l1', pool, max: 2, ackWaitSec: 1 }), await startWorker(fleet.server.url, { name: 'l2', pool, max: 2, ackWaitSec: 1 }));
  const { dir, files } = makeTaskFiles(3, (i, d) => `sleep 4; echo ${i} >> '${d}/exec.log'\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 1 }, stateDir: join(dir, 'runs') },
    io,
  );
  t.is(r.exitCode, 0, io.err());
  t.is(r.duplicates, 0);
  const records = assertEachOnce(t, r.resultsFile!, files);
  t.true(records.every((x) => x.duration_seconds >= 4));
  const exec = execCounts(dir);
  t.deepEqual([...exec.entries()].sort(), [['1', 1], ['2', 1], ['3', 1]]);
  for (const w of workers.splice(0)) await w.stop();
});
