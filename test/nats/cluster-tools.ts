/** What the cluster tests share: who leads what, moving leaders onto one member, parallelr as its own process. */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext, TestFn } from 'ava';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { killWithTestProcess } from '../helpers/child-cleanup.js';
import { startNatsCluster, type TestNatsCluster } from '../helpers/nats-server.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { ensureRecordsStream } from '../../shared/nats/records.js';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer } from '../../shared/nats/subjects.js';
import { ROOT, makeTaskFiles, readResults, sleep, startWorker, tally, waitFor, type WorkerProcess } from './fleet.js';

/** A 3-node cluster started before the file's tests and disposed after them, with the workers they start. */
export function useCluster(test: TestFn): { cluster: () => TestNatsCluster; workers: WorkerProcess[] } {
  let cluster: TestNatsCluster | undefined;
  const workers: WorkerProcess[] = [];
  test.before(async () => {
    cluster = await startNatsCluster();
  });
  test.after.always(async () => {
    for (const w of workers) await w.kill9();
    await cluster?.dispose();
  });
  return { cluster: () => cluster!, workers };
}

const SLOTS_PER_AGENT = 3;
/** The slots of the two workers of {@link startClusterPool}. */
const CLUSTER_SLOTS = 2 * SLOTS_PER_AGENT;

/**
 * Two workers of `pool` (3 slots each, R3 streams; the records stream too, as a controller's earlier
 * run made it) and a connection of the test's own to the cluster.
 */
export async function startClusterPool(
  t: ExecutionContext, fixture: ReturnType<typeof useCluster>, pool: string, names: [string, string],
): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const url = fixture.cluster().url;
  const env = { TASKER_NATS_REPLICAS: '3' };
  for (const name of names) fixture.workers.push(await startWorker(url, { name, pool, max: SLOTS_PER_AGENT, env }));
  const nc = await connectNats({ servers: url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, url);
  await ensureRecordsStream(jsm, { replicas: 3 });
  return { nc, jsm };
}

const PARALLELR_CLI = join(ROOT, 'controller/cli/parallelr.ts');

/** Who leads the jobs stream, the results stream and the pool's consumer (JetStream `cluster.leader`). */
export async function leaders(jsm: JetStreamManager, pool: string): Promise<{ jobs: string; results: string; consumer: string }> {
  const [jobs, results, consumer] = await Promise.all([
    jsm.streams.info(JOBS_STREAM), jsm.streams.info(RESULTS_STREAM), jsm.consumers.info(JOBS_STREAM, poolConsumer(pool)),
  ]);
  return { jobs: jobs.cluster?.leader ?? '', results: results.cluster?.leader ?? '', consumer: consumer.cluster?.leader ?? '' };
}

/** The member holding the controller's reader of the results (an ephemeral consumer on TASKER_RESULTS: R1, on one member). */
export async function readerHost(jsm: JetStreamManager): Promise<string> {
  for (;;) {
    for await (const c of jsm.consumers.list(RESULTS_STREAM)) if (c.cluster?.leader) return c.cluster.leader;
    await sleep(100);
  }
}

/**
 * Move the leaders of both streams and the pool consumer onto `target` (stepping down whichever
 * leads elsewhere), so killing it takes them all at once, with the controller's reader: the worst case.
 */
export async function gatherLeaders(nc: NatsConnection, jsm: JetStreamManager, pool: string, target: string): Promise<void> {
  const stepDown = (api: string) => nc.request(`$JS.API.${api}`, undefined, { timeout: 5000 }).catch(() => undefined);
  for (let round = 0; round < 100; round++) {
    const l = await leaders(jsm, pool).catch(() => undefined);
    if (l && l.jobs === target && l.results === target && l.consumer === target) return;
    if (l?.jobs && l.jobs !== target) await stepDown(`STREAM.LEADER.STEPDOWN.${JOBS_STREAM}`);
    if (l?.results && l.results !== target) await stepDown(`STREAM.LEADER.STEPDOWN.${RESULTS_STREAM}`);
    if (l?.consumer && l.consumer !== target) await stepDown(`CONSUMER.LEADER.STEPDOWN.${JOBS_STREAM}.${poolConsumer(pool)}`);
    await sleep(300);
  }
  throw new Error(`could not gather the leaders on ${target}`);
}

/** The parallelr CLI as its own process; SIGKILLed by `kill()` (and when the test process exits). */
export function runParallelr(args: string[], env: NodeJS.ProcessEnv): { done: Promise<{ code: number | null; out: string; err: string }>; out(): string; err(): string; kill(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', PARALLELR_CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  killWithTestProcess(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  // 'close': the output is read to the end before the test looks at it.
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.once('close', (code) => resolve({ code, out, err })));
  return { done, out: () => out, err: () => err, kill: () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL') };
}

/**
 * `total` jobs through the parallelr CLI on the cluster, each appending to `effects/<i>` once it ran;
 * jobs after the first `first` wait for a gate. Returns once the leaders of both streams, the pool
 * consumer and the controller's reader sit on one member (`victim`) and `first` jobs ran (or every
 * slot waits at the gate): a kill then always finds jobs running and most of the run queued. `openGate()` lets the rest run.
 */
export async function startGatedRun(
  t: ExecutionContext, c: { cluster: TestNatsCluster; nc: NatsConnection; jsm: JetStreamManager }, pool: string, total: number, first: number,
) {
  const { dir } = makeTaskFiles(total, (i, d) =>
    `${i > first ? `touch '${d}/waiting/${i}'; while [ ! -e '${d}/gate' ]; do sleep 0.05; done; ` : ''}sleep 0.1; echo ran >> '${d}/effects/${i}'\n`);
  mkdirSync(join(dir, 'effects'));
  mkdirSync(join(dir, 'waiting'));
  const results = join(mkdtempSync(join(tmpdir(), `tasker-nats-${pool}-res-`)), 'results.jsonl');
  const run = runParallelr(
    ['-T', dir, '--file-extension', 'sh', '-C', '/bin/sh @TASK@', '-r', '--nats', c.cluster.url, '--pool', pool, '--nats-replicas', '3', '--results', results],
    { PARALLELR_HOME: join(dir, 'home'), TASKER_NATS_STATE_DIR: join(dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' },
  );
  t.teardown(() => run.kill());
  const victim = await readerHost(c.jsm);
  await gatherLeaders(c.nc, c.jsm, pool, victim);
  // The first jobs ran, or every slot waits at the gate: after a leader change an earlier job can be
  // redelivered behind gated ones, and waiting for it then waited for ever (seen in CI).
  await waitFor(() => readdirSync(join(dir, 'effects')).length >= first || readdirSync(join(dir, 'waiting')).length >= CLUSTER_SLOTS);
  return { dir, results, run, victim, openGate: () => writeFileSync(join(dir, 'gate'), '') };
}

/** Every job of a gated run ran exactly once and has exactly one SUCCESS record; nothing ran twice. */
export function checkExactlyOnce(t: ExecutionContext, run: { dir: string; results: string }, total: number, out: string): void {
  const effects = readdirSync(join(run.dir, 'effects')).map((f) => [f, readFileSync(join(run.dir, 'effects', f), 'utf8')] as const);
  t.is(effects.length, total, 'every job ran');
  t.deepEqual(effects.filter(([, text]) => text !== 'ran\n').map(([f]) => f), [], 'no job ran more than once');
  const records = readResults(run.results);
  t.is(records.length, total, 'one record per task file');
  t.deepEqual([...tally(records.map((rec) => rec.task_file ?? null)).values()].filter((n) => n !== 1), []);
  t.true(records.every((rec) => rec.status === 'SUCCESS'));
  t.notRegex(out, /Ran more than once/);
}
