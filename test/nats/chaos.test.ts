/**
 * Faults together, as they come in a bad night: a run in batches whose long files are handed off,
 * nats-server restarted twice, an agent SIGKILLed and replaced, another frozen longer than
 * ack_wait. Real nats-server, real agent processes; each file appends a line to a file named by its
 * seq at its very end. Whatever the timing, no file may run more often than the run reports.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resumeDistributed, runDistributed } from '../../controller/nats/run-distributed.js';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import { makeTaskFiles, readResults, recordingIo, runAndKillController, sleep, startWorker, useNatsFleet, watchJobSubjects } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

/** Files that did not run to their end, or started more often than their last row reports. */
function unreported(dir: string, files: readonly { taskFile: string }[], rows: readonly TaskRecord[]): string[] {
  const last = new Map(rows.map((row) => [row.task_file, row]));
  const lines = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').length : 0);
  const out: string[] = [];
  files.forEach((f, k) => {
    const i = k + 1;
    const reported = last.get(f.taskFile)?.runs ?? 1;
    if (lines(`end-${i}`) === 0 || lines(`start-${i}`) > reported) out.push(`file ${i}: started ${lines(`start-${i}`)}×, ended ${lines(`end-${i}`)}×, reported ${reported}`);
  });
  return out;
}

/** Each file marks its start and its end; every fourth one is long (2.5–3.4 s), so files of its batch wait for a slot. */
const startAndEnd = (i: number, d: string) => `echo >> '${d}/start-${i}'; sleep ${i % 4 === 0 ? 2.5 + (i % 10) / 10 : 0.05 + (i % 5) / 20}; echo >> '${d}/end-${i}'\n`;

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
  const { dir, files } = makeTaskFiles(n, startAndEnd);
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
  t.deepEqual(unreported(dir, files, records), [], 'every file ran to its end, and none started more often than the run reports');
  for (const w of workers.splice(0)) await w.kill9();
});

test.serial('a controller SIGKILLed mid-run under a server restart, an agent killed, then --resume: every file ran, none more often than reported', async (t) => {
  const pool = 'chaosresume';
  const runId = 'chaosrun2';
  const n = 120;
  for (const name of ['r1', 'r2', 'r3']) workers.push(await startWorker(fleet.server.url, { name, pool, max: 2 }));
  const { dir, files } = makeTaskFiles(n, startAndEnd);
  const stateDir = join(dir, 'runs');
  const resultsFile = join(dir, 'results.jsonl');
  const ended = () => readdirSync(dir).filter((f) => f.startsWith('end-')).length;
  const restart = (async () => {
    while (ended() < n * 0.15) await sleep(25);
    await fleet.server.restart();
  })();
  await runAndKillController(t, {
    files, command: '/bin/sh @TASK@', timeoutSeconds: 60, runId, resultsFile, stateDir, batch: 6, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 },
  }, join(dir, 'options.json'), n * 0.3);
  await restart;
  await workers.shift()!.kill9();
  workers.push(await startWorker(fleet.server.url, { name: 'r4', pool, max: 2 }));
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await resumeDistributed({ runId, stateDir, nats: { ackWaitSec: 2 } }, io);
  t.is(r.exitCode, 0, io.err());
  const rows = readResults(resultsFile);
  t.is(new Set(rows.map((row) => row.task_file)).size, n);
  t.deepEqual(unreported(dir, files, rows), [], 'every file ran to its end, and none started more often than its last row reports');
  for (const w of workers.splice(0)) await w.kill9();
});
