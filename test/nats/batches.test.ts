/**
 * Runs with batches over real agent processes and a real nats-server: every file's result exactly
 * once with the same rows as a run without batches; the automatic size from the agents that answer
 * on the fleet subject; `--batch` out of range refused by the CLI.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resumeDistributed, runDistributed, type DistributedResult } from '../../controller/nats/run-distributed.js';
import { askFleet, chooseBatch, probeFleet } from '../../controller/nats/fleet-probe.js';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import { connectNats } from '../../shared/nats/connection.js';
import { batchSize } from '../../shared/nats/job-batch.js';
import { ParallelrExit } from '../../shared/exit-codes.js';
import { makeTaskFiles, runParallelr, readResults, recordingIo, runAndKillController, startWorker, tally, useNatsFleet, waitFor, type WorkerProcess, watchJobSubjects } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

/** Start agents for one test; SIGTERM them in its teardown. */
async function agents(t: { teardown(fn: () => unknown): void }, pool: string, maxes: number[]): Promise<WorkerProcess[]> {
  const started: WorkerProcess[] = [];
  t.teardown(async () => {
    for (const w of started) await w.stop();
  });
  for (const [i, max] of maxes.entries()) {
    const w = await startWorker(fleet.server.url, { name: `${pool}-a${i + 1}`, pool, max });
    workers.push(w);
    started.push(w);
  }
  return started;
}

const watchRun = (t: Parameters<typeof watchJobSubjects>[0], pool: string, runId: string) => watchJobSubjects(t, fleet.server.url, pool, runId);

/** Exit code of file `i`: 0, 1 or another code, so every status and code travels. */
const codeOf = (i: number) => [0, 1, 0, 7, 0, 42][i % 6]!;

/** A run of the same 24 files with `batch`; returns its result and records. */
async function runFiles(files: { taskFile: string; path: string }[], dir: string, pool: string, runId: string, batch: number): Promise<{ r: DistributedResult; records: TaskRecord[]; err: string }> {
  const io = recordingIo({ PARALLELR_HOME: join(dir, runId) });
  const r = await runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, batch, runId, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true },
    io,
  );
  return { r, records: readResults(r.resultsFile!), err: io.err() };
}

/** What a row says about its file, without what differs between runs (times, agent, slot, run id, the workspace's path). */
const content = (x: TaskRecord) => ({
  ...x, command: x.command.replace(/\S*\//g, ''), session_id: undefined, start_time: undefined, end_time: undefined, duration_seconds: undefined, agent: undefined, worker: undefined,
});

test.serial('batch 4 over 2 agents: 24 files in 6 messages, each file run and recorded once, rows as in a run without batches', async (t) => {
  const pool = 'batchrun';
  await agents(t, pool, [2, 2]);
  const { dir, files } = makeTaskFiles(24, (i) => `echo out ${i}; echo err ${i} >&2; exit ${codeOf(i)}\n`);
  const subjectsOf = await watchRun(t, pool, 'batched-24');
  const batched = await runFiles(files, dir, pool, 'batched-24', 4);
  t.is(batched.r.exitCode, ParallelrExit.FAILED, batched.err);
  t.deepEqual(subjectsOf(), ['1-4', '5-8', '9-12', '13-16', '17-20', '21-24'], 'six batches of four, no part handed off');
  t.is(batched.records.length, 24);
  t.deepEqual([...tally(batched.records.map((x) => x.task_file))].filter(([, n]) => n !== 1), [], 'each file recorded once');
  for (const x of batched.records) {
    const i = files.findIndex((f) => f.taskFile === x.task_file) + 1;
    const code = codeOf(i);
    t.like(x, { status: code === 0 ? 'SUCCESS' : 'FAILED', exit_code: code }, x.task_file ?? '');
  }
  t.deepEqual(batched.r.counts.succeeded, 12);
  t.deepEqual(batched.r.ranMoreThanOnce, []);
  t.is(batched.r.duplicates, 0);
  t.is(new Set(batched.records.map((x) => x.agent)).size, 2, 'both agents took batches');

  const single = await runFiles(files, dir, pool, 'single-24', 1);
  t.is(single.r.exitCode, ParallelrExit.FAILED, single.err);
  const bySeq = (rs: TaskRecord[]) => [...rs].sort((a, b) => String(a.task_file).localeCompare(String(b.task_file))).map(content);
  t.deepEqual(bySeq(batched.records), bySeq(single.records), 'the same rows with and without batches');
});

test.serial('every file\'s side effect happens once in a batched run', async (t) => {
  const pool = 'batchonce';
  await agents(t, pool, [2, 2]);
  const { dir, files } = makeTaskFiles(30, (i, d) => `mkdir -p '${d}/effects'; echo ran >> '${d}/effects/${i}'; exit ${codeOf(i)}\n`);
  const { r, records, err } = await runFiles(files, dir, pool, 'batched-once', 8);
  t.is(r.exitCode, ParallelrExit.FAILED, err);
  t.is(records.length, 30);
  const effects = readdirSync(join(dir, 'effects'));
  t.is(effects.length, 30);
  const twice = effects.filter((f) => readFileSync(join(dir, 'effects', f), 'utf8') !== 'ran\n');
  t.deepEqual(twice, [], 'no file ran twice');
});

test.serial('the automatic size: the agents that answer with their slots; 1 without agents or for a small run; the size asked wins', async (t) => {
  const pool = 'batchauto';
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  t.deepEqual(await probeFleet(nc, pool), [], 'no agent yet');
  // The size the controller uses: askFleet (when it depends on the pool) then chooseBatch.
  const size = async (p: string, files: number, asked?: number) => chooseBatch(files, await askFleet(nc, p, files, asked), asked);
  t.is(await size(pool, 600), 1, 'no agent answers: no batches');
  const started = await agents(t, pool, [2, 3]);
  const fleetNow = await probeFleet(nc, pool);
  t.deepEqual(fleetNow.map((a) => [a.agent, a.max, a.batches]).sort(), [[started[0]!.name, 2, true], [started[1]!.name, 3, true]]);
  t.is(new Set(fleetNow.map((a) => a.instance)).size, 2, 'one answer per agent instance');
  t.is(await askFleet(nc, pool, 15), undefined, 'fewer than 16 files: the pool is not asked');
  t.is(await size(pool, 15), 1, 'fewer than 16 files');
  t.is(await size(pool, 600), batchSize(600, 5));
  t.is(batchSize(600, 5), 15);
  t.is(await size(pool, 120), batchSize(120, 5));
  t.is(await size(pool, 100_000), 16);
  t.is(await askFleet(nc, pool, 600, 7), undefined, 'a size asked: the pool is not asked');
  t.is(await size(pool, 10, 7), 7, 'asked: used as given, even for a small run');
  t.is(await size('batchauto-empty', 600, 5), 5, 'asked: used without asking the pool');
  t.is(await size(pool, 600, 1), 1);
  t.is(chooseBatch(600, [...fleetNow, { agent: 'old', instance: 'x', max: 4, batches: false }]), 1, 'an agent that does not read batches: none');
});

test.serial('a run without --batch on 2 one-slot agents sends automatic batches and records every file once', async (t) => {
  const pool = 'batchauto2';
  await agents(t, pool, [1, 1]);
  // Both agents answer the fleet subject before the run asks it (a just started agent under load
  // can miss the controller's short wait; the size from a given set of answers is tested above).
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  await waitFor(async () => (await probeFleet(nc, pool)).length === 2, 'both agents answering the fleet subject', 10_000);
  const { dir, files } = makeTaskFiles(48, (i) => `exit ${codeOf(i)}\n`);
  const runId = 'auto-48';
  const subjectsOf = await watchRun(t, pool, runId);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 30, runId, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true }, io);
  t.is(r.exitCode, ParallelrExit.FAILED, io.err());
  // Two one-slot agents: 3 files a message; 6 if only one agent's answer came in the wait.
  t.deepEqual([batchSize(48, 2), batchSize(48, 1)], [3, 6]);
  const seen = subjectsOf();
  const size = seen[0] === '1-6' ? 6 : 3;
  const batches = 48 / size;
  t.deepEqual(seen.slice(0, batches), Array.from({ length: batches }, (_, k) => `${k * size + 1}-${k * size + size}`));
  const records = readResults(r.resultsFile!);
  t.is(records.length, 48);
  t.is(new Set(records.map((x) => x.task_file)).size, 48);
});

test.serial('a batched run whose controller is SIGKILLed: --resume publishes nothing (every file is done or in a queued batch), each file runs once', async (t) => {
  const pool = 'batchresume';
  await agents(t, pool, [2, 2]);
  const { dir, files } = makeTaskFiles(40, (i, d) => `sleep 0.1; echo ${i} >> '${d}/exec.log'\n`);
  const runId = 'batch-resume';
  const stateDir = join(dir, 'runs');
  const resultsFile = join(dir, 'results.jsonl');
  const optionsFile = join(dir, 'options.json');
  await runAndKillController(t, {
    files, command: '/bin/sh @TASK@', timeoutSeconds: 30, runId, resultsFile, stateDir, batch: 4, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 },
  }, optionsFile, 8);
  const before = readResults(resultsFile).length;
  t.true(before >= 8 && before < 40, `killed after ${before} records`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await resumeDistributed({ runId, stateDir, nats: { ackWaitSec: 2 } }, io);
  t.is(r.exitCode, 0, io.err());
  t.is(r.published, 0, 'every file was in a batch that reached the queue');
  t.is(readResults(resultsFile).length, 40);
  t.deepEqual([...tally(readResults(resultsFile).map((x) => x.task_file))].filter(([, n]) => n !== 1), []);
  const exec = tally(readFileSync(join(dir, 'exec.log'), 'utf8').split('\n').filter(Boolean));
  t.is(exec.size, 40);
  t.deepEqual([...exec].filter(([, n]) => n !== 1), [], 'no file ran twice');
});

/** `parallelr ARGS` with `home` as HOME (and its `p` as PARALLELR_HOME). */
const parallelr = (args: string[], home: string) => runParallelr(args, { HOME: home, PARALLELR_HOME: join(home, 'p') });

test.serial('parallelr --batch 0 and --batch 65: a usage error naming the flag, no stack trace, nothing published', async (t) => {
  const { dir } = makeTaskFiles(2, () => 'true\n');
  const base = ['-T', dir, '-C', '/bin/sh @TASK@', '-r', '--nats', fleet.server.url, '--pool', 'batchcli'];
  const zero = await parallelr([...base, '--batch', '0'], dir);
  t.is(zero.code, ParallelrExit.USAGE, zero.err);
  t.regex(zero.err, /--batch must be a whole number of at least 1, got `0`/);
  t.notRegex(zero.err, /\n\s+at /);
  const wide = await parallelr([...base, '--batch', '65'], dir);
  t.is(wide.code, ParallelrExit.USAGE, wide.err);
  t.is(wide.err, 'parallelr: --batch 65: at most 64 task files go in one job message\n');
  t.notRegex(wide.out, /Distributed run/);
});
