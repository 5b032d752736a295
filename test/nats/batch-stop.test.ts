/** Stopping a batched run: every file recorded once, nothing of the run published or run after its cancel. */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { alive, makeTaskFiles, procState, readResults, recordingIo, sleep, tally, useNatsFleet, waitFor, agentForTest, watchJobSubjects } from './fleet.js';

const fleet = useNatsFleet(test);

const agent = (t: Parameters<typeof agentForTest>[0], name: string, pool: string, max: number) => agentForTest(t, fleet, name, pool, max);

const watchRun = (t: Parameters<typeof watchJobSubjects>[0], pool: string, runId: string) => watchJobSubjects(t, fleet.server.url, pool, runId);

test.serial('a stop limit in a batched run: each file recorded once, running files killed with their children, the rest cancelled', async (t) => {
  const pool = 'batchstop';
  const agents = [await agent(t, 's1', pool, 2), await agent(t, 's2', pool, 2)];
  // Files 1-2 fail after a moment; every other file starts a child and waits for ever, writing its pids.
  const { dir, files } = makeTaskFiles(24, (i, d) => (i <= 2 ? 'sleep 0.5; exit 3\n' : `sleep 300 & echo "$$ $!" > '${d}/pids-${i}'; wait\n`));
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed(
    {
      files, command: '/bin/sh @TASK@', timeoutSeconds: 600, batch: 4, stateDir: join(dir, 'runs'), quiet: true,
      nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 },
      stopLimits: { maxConsecutiveFailures: 2, maxFailureRate: 1, minTasksForRateCheck: 100 },
    },
    io,
  );
  t.is(r.exitCode, 1, io.err());
  t.is(r.stopReason, 'Auto-stop: 2 consecutive failures (limit: 2)');
  const records = readResults(r.resultsFile!);
  t.is(records.length, 24);
  t.deepEqual([...tally(records.map((x) => x.task_file))].filter(([, n]) => n !== 1), [], 'each file recorded once');
  t.is(records.filter((x) => x.status === 'FAILED').length, 2);
  t.is(records.filter((x) => x.status === 'CANCELLED').length, 22);
  const pidFiles = readdirSync(dir).filter((f) => f.startsWith('pids-'));
  t.true(pidFiles.length >= 1, 'long files had started before the stop');
  await sleep(200);
  for (const f of pidFiles) {
    for (const pid of readFileSync(join(dir, f), 'utf8').trim().split(' ').map(Number).filter((p) => p > 0)) {
      t.false(alive(pid), `pid ${pid} from ${f} survived: ${procState(pid)}`);
    }
  }
  t.true(agents.every((w) => w.child.exitCode === null), 'the agents keep serving');
});

test.serial('parts held behind a file slow to die are not handed off after the run\'s cancel, and never run', async (t) => {
  const pool = 'batchcancel';
  const first = await agent(t, 'first', pool, 1);
  // File 1 ignores SIGTERM (so its kill waits the grace period, longer than a part may be held); 2 and 3 wait in the batch.
  const { dir, files } = makeTaskFiles(3, (i, d) => (i === 1 ? `trap '' TERM; echo ran >> '${d}/ran-1'; sleep 300\n` : `echo ran >> '${d}/ran-${i}'\n`));
  const runId = 'batch-cancel';
  const seen = await watchRun(t, pool, runId);
  const abort = new AbortController();
  const io = recordingIo({ PARALLELR_HOME: dir }, abort.signal);
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 600, batch: 3, runId, stateDir: join(dir, 'runs'), quiet: true, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 } },
    io,
  );
  await waitFor(() => existsSync(join(dir, 'ran-1')));
  abort.abort('SIGINT');
  const r = await run;
  t.is(r.exitCode, 130, io.err());
  const records = readResults(r.resultsFile!);
  t.is(records.length, 3);
  t.true(records.every((x) => x.status === 'CANCELLED'));
  // An agent that never heard the cancel joins; a held part published after the cancel would run there.
  const late = await agent(t, 'late', pool, 2);
  await sleep(4000);
  t.false(existsSync(join(dir, 'ran-2')) || existsSync(join(dir, 'ran-3')), 'files 2 and 3 never ran');
  t.notRegex(late.log(), /"message":"job finished"/);
  t.deepEqual(seen(), ['1-3'], 'nothing of the run published after its cancel');
  t.is(first.child.exitCode, null);
});

test.serial('an agent stopped (SIGTERM) mid-batch finishes its running file and hands the rest back: another agent runs them, each file once', async (t) => {
  const pool = 'batchdrain';
  const first = await agent(t, 'first', pool, 1);
  const { dir, files } = makeTaskFiles(3, (i, d) => `echo ran >> '${d}/ran-${i}'${i === 1 ? '; sleep 1' : ''}\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, batch: 3, runId: 'batch-drain', stateDir: join(dir, 'runs'), quiet: true, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 } },
    io,
  );
  await waitFor(() => existsSync(join(dir, 'ran-1')));
  const stopped = first.stop();
  await agent(t, 'second', pool, 2);
  await stopped;
  t.is(first.child.exitCode, 0, first.log());
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  const records = readResults(r.resultsFile!);
  t.deepEqual(records.map((x) => [x.task_file, x.status, x.agent]).sort(), [
    [files[0]!.taskFile, 'SUCCESS', 'first'], [files[1]!.taskFile, 'SUCCESS', 'second'], [files[2]!.taskFile, 'SUCCESS', 'second'],
  ]);
  t.deepEqual([1, 2, 3].map((i) => readFileSync(join(dir, `ran-${i}`), 'utf8')), ['ran\n', 'ran\n', 'ran\n'], 'each file ran once');
  t.deepEqual(r.ranMoreThanOnce, []);
});
