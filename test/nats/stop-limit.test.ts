/** Stop limits across the fleet: the run is cancelled on every agent, running jobs killed, nothing survives. */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { alive, procState, makeTaskFiles, readResults, recordingIo, startWorker, sleep, waitFor, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

test.serial('a stop limit cancels the run on every agent: running jobs and their children are killed, queued ones dropped', async (t) => {
  const pool = 'stop';
  workers.push(await startWorker(fleet.server.url, { name: 's1', pool, max: 3 }), await startWorker(fleet.server.url, { name: 's2', pool, max: 3 }));
  // Jobs 1-2 fail after a moment; every other job starts a child and waits forever, writing its pids.
  const { dir, files } = makeTaskFiles(30, (i, d) =>
    i <= 2
      ? 'sleep 0.5; exit 3\n'
      : `sleep 300 & echo "$$ $!" > '${d}/pids-${i}'; wait\n`,
  );
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed(
    {
      files, command: '/bin/sh @TASK@', timeoutSeconds: 600, stateDir: join(dir, 'runs'),
      nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 },
      stopLimits: { maxConsecutiveFailures: 2, maxFailureRate: 1, minTasksForRateCheck: 100 },
    },
    io,
  );
  t.is(r.exitCode, 1);
  t.is(r.stopReason, 'Auto-stop: 2 consecutive failures (limit: 2)');
  const records = readResults(r.resultsFile!);
  t.is(records.length, 30);
  t.is(records.filter((x) => x.status === 'FAILED').length, 2);
  const killed = records.filter((x) => x.status === 'CANCELLED' && x.agent !== null);
  const neverRan = records.filter((x) => x.status === 'CANCELLED' && x.agent === null);
  t.true(killed.length >= 1, 'some running jobs were killed');
  t.is(killed.length + neverRan.length, 28);
  // Every process any job started is gone (the whole group was killed, not only the shell).
  const pidFiles = readdirSync(dir).filter((f) => f.startsWith('pids-'));
  t.true(pidFiles.length >= 1, 'long jobs had started before the stop');
  await sleep(200);
  for (const f of pidFiles) {
    for (const pid of readFileSync(join(dir, f), 'utf8').trim().split(' ').map(Number).filter((p) => p > 0)) {
      t.false(alive(pid), `pid ${pid} from ${f} survived: ${procState(pid)}`);
    }
  }
  t.regex(io.out(), /Triggered: Auto-stop: 2 consecutive failures/);
  // Every agent heard the cancel, and is still serving.
  await sleep(100);
  for (const w of workers) t.regex(w.log(), /"message":"run cancelled by its controller"/);
  t.true(workers.every((w) => w.child.exitCode === null));
  for (const w of workers.splice(0)) await w.stop();
});

test.serial('SIGINT to the controller cancels the run on the fleet and exits 130', async (t) => {
  const pool = 'sigint';
  workers.push(await startWorker(fleet.server.url, { name: 'i1', pool, max: 2 }));
  const { dir, files } = makeTaskFiles(10, (i, d) => `sleep 300 & echo "$$ $!" > '${d}/pids-${i}'; wait\n`);
  const abort = new AbortController();
  const io = recordingIo({ PARALLELR_HOME: dir }, abort.signal);
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 600, stateDir: join(dir, 'runs'), nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 } },
    io,
  );
  // Both pids written (a file is created empty, then written: a stop in between would leave no pid to check).
  await waitFor(() => readdirSync(dir).filter((f) => f.startsWith('pids-') && /^\d+ \d+\n$/.test(readFileSync(join(dir, f), 'utf8'))).length === 2);
  abort.abort('SIGINT');
  const r = await run;
  t.is(r.exitCode, 130);
  t.is(r.interrupted, 'SIGINT');
  const records = readResults(r.resultsFile!);
  t.is(records.length, 10);
  t.true(records.every((x) => x.status === 'CANCELLED'));
  t.is(records.filter((x) => x.agent === 'i1').length, 2, 'the two running jobs were killed on the agent');
  await sleep(200);
  for (const f of readdirSync(dir).filter((n) => n.startsWith('pids-'))) {
    for (const pid of readFileSync(join(dir, f), 'utf8').trim().split(' ').map(Number)) t.false(alive(pid), `pid ${pid} survived: ${procState(pid)}`);
  }
  for (const w of workers.splice(0)) await w.stop();
});
