/** A controller killed mid-run: `--resume RUN_ID` re-attaches and finishes only what is missing. */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resumeDistributed, runDistributed } from '../../controller/nats/run-distributed.js';
import { publishJobs } from '../../controller/nats/publisher.js';
import { readRunState, writeRunState, type RunState } from '../../controller/nats/run-state.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { openStreamPublisher } from '../../shared/nats/stream-publisher.js';
import { ensureStreams } from '../../shared/nats/streams.js';
import { makeTaskFiles, readResults, recordingIo, runAndKillController, startWorker, tally, useNatsFleet, waitFor } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

function execTally(dir: string) {
  return tally(readFileSync(join(dir, 'exec.log'), 'utf8').split('\n').filter(Boolean));
}

test.serial('controller killed with SIGKILL mid-run: --resume completes the run, no job runs twice, each is recorded once', async (t) => {
  const pool = 'resume1';
  workers.push(await startWorker(fleet.server.url, { name: 'x1', pool, max: 2 }), await startWorker(fleet.server.url, { name: 'x2', pool, max: 2 }));
  const { dir, files } = makeTaskFiles(40, (i, d) => `sleep 0.1; echo ${i} >> '${d}/exec.log'\n`);
  const runId = 'resume-test-1';
  const resultsFile = join(dir, 'results.jsonl');
  const stateDir = join(dir, 'runs');
  const optionsFile = join(dir, 'options.json');
  await runAndKillController(t, {
    files, command: '/bin/sh @TASK@', timeoutSeconds: 30, runId, resultsFile, stateDir,
    nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 },
  }, optionsFile, 8);
  const before = readResults(resultsFile).length;
  t.true(before >= 8 && before < 40, `killed after ${before} records`);

  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await resumeDistributed({ runId, stateDir, nats: { ackWaitSec: 2 } }, io);
  t.is(r.exitCode, 0, io.err());
  t.is(r.published, 0, 'every job had been published: nothing is republished');
  t.is(r.counts.succeeded, 40);
  const records = readResults(resultsFile);
  t.is(records.length, 40);
  const byFile = tally(records.map((x) => x.task_file));
  for (const f of files) t.is(byFile.get(f.taskFile), 1);
  const exec = execTally(dir);
  t.is(exec.size, 40);
  t.true([...exec.values()].every((n) => n === 1), 'no job ran twice');
  t.is((readRunState(stateDir, runId) as RunState).status, 'done');
  for (const w of workers.splice(0)) await w.stop();
});

test.serial('resume after a crash during publishing publishes exactly the jobs that never reached NATS', async (t) => {
  const pool = 'resume2';
  const { dir, files } = makeTaskFiles(12, (i, d) => `echo ${i} >> '${d}/exec.log'\n`);
  const runId = 'resume-test-2';
  const stateDir = join(dir, 'runs');
  const state: RunState = {
    version: 1, runId, createdAt: new Date().toISOString(), servers: [fleet.server.url], pool, command: '/bin/sh @TASK@',
    timeoutSeconds: 30, maxOutputCapture: 1000, stopLimits: null, resultsFile: join(dir, 'results.jsonl'), files, status: 'running',
  };
  writeRunState(stateDir, state);
  // The crashed controller had published jobs 1-5 only.
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close()); // also when an assertion fails (it ends the test)
  const jsm = await jetStreamManagerOf(nc, fleet.server.url);
  await ensureStreams(jsm, { pool, ackWaitMs: 2000 });
  const stored = await publishJobs({ store: await openStreamPublisher(nc), state, seqs: [1, 2, 3, 4, 5], maxPayload: 1 << 20, onFailure: () => t.fail() });
  t.is(stored, 5);

  workers.push(await startWorker(fleet.server.url, { name: 'y1', pool, max: 2 }));
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await resumeDistributed({ runId, stateDir, nats: { ackWaitSec: 2 } }, io);
  t.is(r.exitCode, 0, io.err());
  t.is(r.published, 7);
  t.regex(io.out(), /5 of 12 jobs are finished or still queued; publishing 7/);
  const exec = execTally(dir);
  t.is(exec.size, 12);
  t.true([...exec.values()].every((n) => n === 1));
  t.is(readResults(state.resultsFile).length, 12);
  for (const w of workers.splice(0)) await w.stop();
});

test.serial('resume of an unknown run id says so without a stack trace', async (t) => {
  const { dir } = makeTaskFiles(0, () => '');
  const io = recordingIo();
  const r = await resumeDistributed({ runId: 'no-such-run', stateDir: join(dir, 'runs') }, io);
  t.is(r.exitCode, 1);
  t.regex(io.err(), /^parallelr: no run no-such-run: .*no-such-run\.json does not exist\n$/);
});

test.serial('--resume while the run\'s controller still runs is refused, naming its progress; the run goes on and records each file once', async (t) => {
  const pool = 'resume-owned';
  workers.push(await startWorker(fleet.server.url, { name: 'o1', pool, max: 2 }));
  const { dir, files } = makeTaskFiles(4, (i, d) => `${i === 4 ? `touch '${d}/waiting'; while [ ! -e '${d}/gate' ]; do sleep 0.05; done; ` : ''}echo ${i} >> '${d}/exec.log'\n`);
  const runId = 'resume-owned-1';
  const resultsFile = join(dir, 'results.jsonl');
  const stateDir = join(dir, 'runs');
  const io = recordingIo({ PARALLELR_HOME: dir });
  const running = runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 60, runId, resultsFile, stateDir, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 } }, io);
  await waitFor(() => existsSync(join(dir, 'waiting')), 'the last job to start');

  const second = recordingIo({ PARALLELR_HOME: dir });
  const r = await resumeDistributed({ runId, stateDir }, second);
  t.is(r.exitCode, 1);
  t.regex(second.err(), /^parallelr: run resume-owned-1 still has a controller \(Progress: \d\/4 done \(\d ok, 0 failed\), \d running\): --resume is for a run whose controller is gone\. Follow this one with: parallelr --watch resume-owned-1; stop it with parallelr -k PID on its host \(see parallelr --list-workers there\)\n$/);
  t.is(second.out(), '');

  writeFileSync(join(dir, 'gate'), '');
  const done = await running;
  t.is(done.exitCode, 0, io.err());
  const records = readResults(resultsFile);
  t.is(records.length, 4, 'each file recorded once: the refused resume wrote nothing');
  t.is((readRunState(stateDir, runId) as RunState).status, 'done');
  for (const w of workers.splice(0)) await w.stop();
});
