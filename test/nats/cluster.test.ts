/**
 * A real 3-node JetStream cluster on loopback (issue 14 item 5): streams with 3 replicas, and the
 * member leading the streams and the pool consumer SIGKILLed in the middle of a distributed run.
 */
import test from 'ava';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer } from '../../shared/nats/subjects.js';
import { readResults } from './fleet.js';
import { checkExactlyOnce, leaders, startClusterPool, startGatedRun, useCluster } from './cluster-tools.js';

const fixture = useCluster(test);

test.serial('R3 streams, the member leading both streams and the pool consumer and holding the controller\'s reader SIGKILLed mid-run: every job runs exactly once and every result arrives', async (t) => {
  const pool = 'cluster';
  const cluster = fixture.cluster();
  const { nc, jsm } = await startClusterPool(t, fixture, pool, ['c1', 'c2']);
  for (const name of [JOBS_STREAM, RESULTS_STREAM]) t.is((await jsm.streams.info(name)).config.num_replicas, 3, `${name} has 3 replicas`);

  const total = 200;
  const first = total * 0.3;
  const { dir, results, run, victim, openGate } = await startGatedRun(t, { cluster, nc, jsm }, pool, total, first);
  await cluster.node(victim).kill9();
  openGate();
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

  checkExactlyOnce(t, { dir, results }, total, r.out);

  const after = await leaders(jsm, pool);
  t.log(`leaders after the kill: ${JSON.stringify(after)}`);
  t.not(after.results, victim, 'a surviving member took over');
  for (const w of fixture.workers.splice(0)) await w.stop();
});
