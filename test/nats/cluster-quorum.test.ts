/**
 * A 3-node JetStream cluster (R3 streams) losing two members mid-run, the one leading the streams,
 * the pool consumer and the controller's reader among them: without a quorum nothing can be stored
 * or read, so the run must wait, record nothing false, say why it waits, and complete with every
 * job run exactly once when one member comes back (docs/nats.md "Running a cluster").
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readResults, sleep } from './fleet.js';
import { checkExactlyOnce, startClusterPool, startGatedRun, useCluster } from './cluster-tools.js';

/** How long the cluster stays without a quorum. */
const OUTAGE_MS = 20_000;

const fixture = useCluster(test);

test.serial('R3, two of three members SIGKILLed mid-run (the leader among them): the run waits without a quorum, says so, records nothing false, and completes exactly once when one comes back', async (t) => {
  const pool = 'quorum';
  const cluster = fixture.cluster();
  const { nc, jsm } = await startClusterPool(t, fixture, pool, ['q1', 'q2']);

  const total = 60;
  const first = 18;
  const { dir, results, run, victim, openGate } = await startGatedRun(t, { cluster, nc, jsm }, pool, total, first);
  const second = cluster.nodes.find((n) => n.name !== victim)!.name;
  await Promise.all([cluster.node(victim).kill9(), cluster.node(second).kill9()]);
  const outputAtKill = run.out().length + run.err().length;
  openGate();
  t.log(`SIGKILLed ${victim} (leader of the streams, the pool consumer, the controller's reader) and ${second}, after ${first} of ${total} jobs`);

  // Without a quorum: a moment for what was under way, then nothing more is recorded, and nothing false.
  await sleep(3000);
  const recordedEarly = readResults(results).length;
  await sleep(OUTAGE_MS - 3000);
  const during = readResults(results);
  t.is(during.length, recordedEarly, 'no result recorded without a quorum');
  t.true(during.every((rec) => rec.status === 'SUCCESS'), JSON.stringify(during.filter((rec) => rec.status !== 'SUCCESS')));
  t.is(await Promise.race([run.done.then(() => 'exited'), sleep(10).then(() => 'running')]), 'running', 'the controller waits');
  const waiting = (run.out() + run.err()).slice(outputAtKill);
  t.log(`the controller during the outage:\n${waiting}`);
  // The surviving member answers from its replica with no leader named, or (while it has no meta
  // leader to ask either) not at all: the note names whichever the last probe got.
  t.regex(waiting, /parallelr: NATS JetStream unavailable for \d+ s \((?:TASKER_RESULTS has no leader|timeout)\): no quorum[^\n]*\n/, 'the controller says why it waits');

  const back = Date.now();
  await cluster.node(second).start();
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    run.done,
    new Promise<{ code: null; out: string; err: string }>((resolve) => {
      timer = setTimeout(() => resolve({ code: null, out: run.out(), err: `still running 180 s after ${second} came back\n${run.err()}` }), 180_000);
    }),
  ]);
  clearTimeout(timer);
  t.log(`${second} back: the run finished ${((Date.now() - back) / 1000).toFixed(1)} s later`);
  t.is(r.code, 0, `${r.out}\n${r.err}`);
  t.regex(r.out + r.err, /parallelr: NATS JetStream available again after \d+ s: the run carries on\n/);

  checkExactlyOnce(t, { dir, results }, total, r.out);
  const logs = join(dir, 'home', 'logs');
  const mainLog = readFileSync(join(logs, readdirSync(logs).find((n) => /^parallelr_.+\.log$/.test(n))!), 'utf8');
  t.regex(mainLog, / - WARNING - parallelr: NATS JetStream unavailable for \d+ s/, 'the main log has it too');
  for (const w of fixture.workers.splice(0)) await w.stop();
});
