/**
 * A real 3-node JetStream cluster on loopback (issue 14 item 5): streams with 3 replicas, and the
 * member leading the streams and the pool consumer SIGKILLed in the middle of a distributed run.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsCluster, type TestNatsCluster } from '../helpers/nats-server.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer } from '../../shared/nats/subjects.js';
import { makeTaskFiles, readResults, startWorker, tally, waitFor, type WorkerProcess } from './fleet.js';
import { gatherLeaders, leaders, readerHost, runParallelr } from './cluster-tools.js';

let cluster: TestNatsCluster;
const workers: WorkerProcess[] = [];
test.before(async () => {
  cluster = await startNatsCluster();
});
test.after.always(async () => {
  for (const w of workers) await w.kill9();
  await cluster?.dispose();
});

test.serial('R3 streams, the member leading both streams and the pool consumer and holding the controller\'s reader SIGKILLed mid-run: every job runs exactly once and every result arrives', async (t) => {
  const pool = 'cluster';
  const env = { TASKER_NATS_REPLICAS: '3' };
  workers.push(
    await startWorker(cluster.url, { name: 'c1', pool, max: 3, env }),
    await startWorker(cluster.url, { name: 'c2', pool, max: 3, env }),
  );
  const nc = await connectNats({ servers: cluster.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, cluster.url);
  for (const name of [JOBS_STREAM, RESULTS_STREAM]) t.is((await jsm.streams.info(name)).config.num_replicas, 3, `${name} has 3 replicas`);

  const total = 200;
  const first = total * 0.3;
  // Jobs after the first 30 % wait for a gate the test opens after the kill: the kill always
  // happens with jobs running on both agents and most of the run still queued.
  const { dir } = makeTaskFiles(total, (i, d) =>
    `${i > first ? `while [ ! -e '${d}/gate' ]; do sleep 0.05; done; ` : ''}sleep 0.1; echo ran >> '${d}/effects/${i}'\n`);
  mkdirSync(join(dir, 'effects'));
  const results = join(mkdtempSync(join(tmpdir(), 'tasker-nats-cluster-res-')), 'results.jsonl');
  const run = runParallelr(
    ['-T', dir, '--file-extension', 'sh', '-C', '/bin/sh @TASK@', '-r', '--nats', cluster.url, '--pool', pool, '--nats-replicas', '3', '--results', results],
    { PARALLELR_HOME: join(dir, 'home'), TASKER_NATS_STATE_DIR: join(dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' },
  );
  t.teardown(() => run.kill());
  const victim = await readerHost(jsm);
  await gatherLeaders(nc, jsm, pool, victim);
  await waitFor(() => readdirSync(join(dir, 'effects')).length >= first);
  await cluster.node(victim).kill9();
  writeFileSync(join(dir, 'gate'), '');
  // For docs/nats.md: the longest time no result was recorded, from the kill on.
  let lastCount = readResults(results).length;
  let lastGrowth = Date.now();
  let longestPause = 0;
  const watch = setInterval(() => {
    const n = readResults(results).length;
    if (n !== lastCount) {
      longestPause = Math.max(longestPause, Date.now() - lastGrowth);
      lastCount = n;
      lastGrowth = Date.now();
    }
  }, 100);
  t.teardown(() => clearInterval(watch));
  t.log(`SIGKILLed ${victim}: leader of ${JOBS_STREAM}, ${RESULTS_STREAM}, ${poolConsumer(pool)}, host of the controller's reader, after ${first} of ${total} jobs`);
  // Bounded so a stalled controller fails here with its output instead of at ava's timeout.
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    run.done,
    new Promise<{ code: null; out: string; err: string }>((resolve) => {
      timer = setTimeout(() => resolve({ code: null, out: run.out(), err: `still running after 180 s\n${run.err()}` }), 180_000);
    }),
  ]);
  clearTimeout(timer);
  clearInterval(watch);
  t.log(`longest pause in recorded results after the kill: ${longestPause} ms`);
  t.is(r.code, 0, `${r.out}\n${r.err}`);

  const effects = readdirSync(join(dir, 'effects')).map((f) => [f, readFileSync(join(dir, 'effects', f), 'utf8')] as const);
  t.is(effects.length, total, 'every job ran');
  t.deepEqual(effects.filter(([, text]) => text !== 'ran\n').map(([f]) => f), [], 'no job ran more than once');
  const records = readResults(results);
  t.is(records.length, total, 'one record per task file');
  t.deepEqual([...tally(records.map((rec) => rec.task_file ?? null)).values()].filter((n) => n !== 1), []);
  t.true(records.every((rec) => rec.status === 'SUCCESS'));
  t.notRegex(r.out, /Ran more than once/);

  const after = await leaders(jsm, pool);
  t.log(`leaders after the kill: ${JSON.stringify(after)}`);
  t.not(after.results, victim, 'a surviving member took over');
  for (const w of workers.splice(0)) await w.stop();
});
