/**
 * A 3-node JetStream cluster (R3 streams) losing two members mid-run, the one leading the streams,
 * the pool consumer and the controller's reader among them: without a quorum nothing can be stored
 * or read, so the run must wait, record nothing false, say why it waits, and complete with every
 * job run exactly once when one member comes back (docs/nats.md "Running a cluster").
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsCluster, type TestNatsCluster } from '../helpers/nats-server.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { makeTaskFiles, readResults, sleep, startWorker, tally, waitFor, type WorkerProcess } from './fleet.js';
import { gatherLeaders, readerHost, runParallelr } from './cluster-tools.js';

/** How long the cluster stays without a quorum. */
const OUTAGE_MS = 20_000;

let cluster: TestNatsCluster;
const workers: WorkerProcess[] = [];
test.before(async () => {
  cluster = await startNatsCluster();
});
test.after.always(async () => {
  for (const w of workers) await w.kill9();
  await cluster?.dispose();
});

test.serial('R3, two of three members SIGKILLed mid-run (the leader among them): the run waits without a quorum, says so, records nothing false, and completes exactly once when one comes back', async (t) => {
  const pool = 'quorum';
  const env = { TASKER_NATS_REPLICAS: '3' };
  workers.push(
    await startWorker(cluster.url, { name: 'q1', pool, max: 3, env }),
    await startWorker(cluster.url, { name: 'q2', pool, max: 3, env }),
  );
  const nc = await connectNats({ servers: cluster.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, cluster.url);

  const total = 60;
  const first = 18;
  // Jobs after the first 18 wait for a gate opened right after the kill: jobs are running and
  // most of the run is queued when the quorum goes.
  const { dir } = makeTaskFiles(total, (i, d) =>
    `${i > first ? `while [ ! -e '${d}/gate' ]; do sleep 0.05; done; ` : ''}sleep 0.1; echo ran >> '${d}/effects/${i}'\n`);
  mkdirSync(join(dir, 'effects'));
  const results = join(mkdtempSync(join(tmpdir(), 'tasker-nats-quorum-res-')), 'results.jsonl');
  const run = runParallelr(
    ['-T', dir, '--file-extension', 'sh', '-C', '/bin/sh @TASK@', '-r', '--nats', cluster.url, '--pool', pool, '--nats-replicas', '3', '--results', results],
    { PARALLELR_HOME: join(dir, 'home'), TASKER_NATS_STATE_DIR: join(dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' },
  );
  t.teardown(() => run.kill());
  const victim = await readerHost(jsm);
  await gatherLeaders(nc, jsm, pool, victim);
  await waitFor(() => readdirSync(join(dir, 'effects')).length >= first);
  const second = cluster.nodes.find((n) => n.name !== victim)!.name;
  await Promise.all([cluster.node(victim).kill9(), cluster.node(second).kill9()]);
  const outputAtKill = run.out().length + run.err().length;
  writeFileSync(join(dir, 'gate'), '');
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
  t.regex(waiting, /parallelr: NATS JetStream unavailable for \d+ s \(TASKER_RESULTS has no leader\): no quorum[^\n]*\n/, 'the controller says why it waits');

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

  const effects = readdirSync(join(dir, 'effects')).map((f) => [f, readFileSync(join(dir, 'effects', f), 'utf8')] as const);
  t.is(effects.length, total, 'every job ran');
  t.deepEqual(effects.filter(([, text]) => text !== 'ran\n').map(([f]) => f), [], 'no job ran more than once');
  const records = readResults(results);
  t.is(records.length, total, 'one record per task file');
  t.deepEqual([...tally(records.map((rec) => rec.task_file ?? null)).values()].filter((n) => n !== 1), []);
  t.true(records.every((rec) => rec.status === 'SUCCESS'));
  t.notRegex(r.out, /Ran more than once/);
  const logs = join(dir, 'home', 'logs');
  const mainLog = readFileSync(join(logs, readdirSync(logs).find((n) => /^parallelr_.+\.log$/.test(n))!), 'utf8');
  t.regex(mainLog, / - WARNING - parallelr: NATS JetStream unavailable for \d+ s/, 'the main log has it too');
  for (const w of workers.splice(0)) await w.stop();
});
