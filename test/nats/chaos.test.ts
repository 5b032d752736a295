/**
 * Faults together, as they come in a bad night: a run in batches whose long files are handed off,
 * nats-server restarted twice, an agent SIGKILLed and replaced, another frozen longer than
 * ack_wait. Real nats-server, real agent processes; each file appends a line to a file named by its
 * seq at its very end. Whatever the timing, no file may run more often than the run reports.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { makeTaskFiles, readResults, recordingIo, sleep, startWorker, useNatsFleet, watchJobSubjects } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

test.serial('batches, hand-offs, two server restarts, an agent killed and one frozen: every file ran, none more often than reported', async (t) => {
  const pool = 'chaos';
  const runId = 'chaosrun1';
  const n = 120;
  let named = 0;
  const add = async () => {
    workers.push(await startWorker(fleet.server.url, { name: `c${++named}`, pool, max: 2 }));
    return workers[workers.length - 1]!;
  };
  const first = await add();
  const frozen = await add();
  await add();
  // Every fourth file is long (2.5–3.4 s): files of its batch wait for a slot and are handed off.
  // Each file marks its start and its end.
  const { dir, files } = makeTaskFiles(n, (i, d) => `echo >> '${d}/start-${i}'; sleep ${i % 4 === 0 ? 2.5 + (i % 10) / 10 : 0.05 + (i % 5) / 20}; echo >> '${d}/end-${i}'\n`);
  const subjectsSeen = await watchJobSubjects(t, fleet.server.url, pool, runId);
  const io = recordingIo({ PARALLELR_HOME: dir });
  let over = false;
  const run = runDistributed(
    { runId, files, command: '/bin/sh @TASK@', timeoutSeconds: 60, batch: 6, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true },
    io,
  ).finally(() => (over = true));
  const ran = () => readdirSync(dir).filter((f) => f.startsWith('end-')).length;
  const when = async (share: number) => {
    while (!over && ran() < n * share) await sleep(25);
    return !over;
  };
  const faults = (async () => {
    if (await when(0.2)) await fleet.server.restart();
    if (await when(0.4)) {
      await first.kill9();
      await add();
    }
    if (await when(0.6)) {
      process.kill(frozen.pid, 'SIGSTOP');
      await sleep(4000);
      process.kill(frozen.pid, 'SIGCONT');
    }
    if (await when(0.75)) await fleet.server.restart();
  })();
  const r = await run;
  await faults;
  t.is(r.exitCode, 0, io.err());
  const records = readResults(r.resultsFile!);
  t.is(records.length, n);
  t.true(records.every((x) => x.status === 'SUCCESS'));
  t.true(subjectsSeen().some((s) => !s.includes('-')), 'some files were handed off (published alone)');
  const reported = new Map(r.ranMoreThanOnce.map((m) => [m.seq, m.runs]));
  const unreported: string[] = [];
  const lines = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').length : 0);
  for (let i = 1; i <= n; i++) {
    const starts = lines(`start-${i}`);
    if (lines(`end-${i}`) === 0 || starts > (reported.get(i) ?? 1)) unreported.push(`file ${i}: started ${starts}×, ended ${lines(`end-${i}`)}×, reported ${reported.get(i) ?? 1}`);
  }
  t.deepEqual(unreported, [], 'every file ran to its end, and none started more often than the run reports');
  for (const w of workers.splice(0)) await w.kill9();
});
