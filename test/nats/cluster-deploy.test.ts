/**
 * deploy/nats-cluster*.conf and deploy/nats-auth.conf started for real as a 3-node cluster: the
 * agent role works (pulls, claims, stores results) but may not create, purge or delete a stream;
 * the controller role creates the streams with 3 replicas.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterNodePlan } from '../helpers/nats-server.js';
import { startNatsCluster, type TestNatsCluster } from '../helpers/nats-server.js';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { connectNats, jetStreamManagerOf, natsSettingsFrom } from '../../shared/nats/connection.js';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer } from '../../shared/nats/subjects.js';
import { ROOT, WORKER_MAIN, makeTaskFiles, recordingIo, waitFor } from './fleet.js';

const deployFile = (name: string) => readFileSync(join(ROOT, 'deploy', name), 'utf8');

/** Replace `from` (which must be there: the deploy file changed otherwise) by `to`. */
function swap(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`deploy/nats-cluster.conf no longer has \`${from}\``);
  return text.split(from).join(to);
}

/**
 * The deploy files as they are, but on this host: member N's nats-cluster-nodeN.conf includes its
 * own copy of nats-cluster.conf with loopback ports and a temporary store; nats-auth.conf verbatim.
 */
function deployCluster(): Promise<TestNatsCluster> {
  let plans: readonly ClusterNodePlan[] = [];
  const files: Record<string, string> = { 'nats-auth.conf': deployFile('nats-auth.conf') };
  return startNatsCluster({
    files,
    configFor: (node, all) => {
      plans = all;
      const n = Number(node.name.slice(1));
      let shared = deployFile('nats-cluster.conf');
      shared = swap(shared, 'listen: 0.0.0.0:4222', `listen: 127.0.0.1:${node.port}`);
      shared = swap(shared, 'http: 127.0.0.1:8222', `http: 127.0.0.1:${node.httpPort}`);
      shared = swap(shared, 'store_dir: /var/lib/nats/jetstream', `store_dir: "${node.storeDir}"`);
      shared = swap(shared, 'listen: 0.0.0.0:6222', `listen: 127.0.0.1:${node.clusterPort}`);
      for (const [i, p] of plans.entries()) shared = swap(shared, `@nats${i + 1}:6222`, `@127.0.0.1:${p.clusterPort}`);
      files[`nats-cluster-${node.name}.conf`] = shared;
      // The member's own file: its server_name must match the helper's names (n1…), the rest as shipped.
      return swap(swap(deployFile(`nats-cluster-node${n}.conf`), `server_name: nats${n}`, `server_name: ${node.name}`), 'include ./nats-cluster.conf', `include ./nats-cluster-${node.name}.conf`);
    },
  });
}

let cluster: TestNatsCluster;
test.before(async () => {
  cluster = await deployCluster();
});
test.after.always(async () => {
  await cluster?.dispose();
});

const AGENT = { user: 'agent', pass: 'CHANGE-ME-agent' };

test.serial('the agent role waits for the controller to create the streams, then runs the jobs; the controller creates them with 3 replicas', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-deploy-cluster-'));
  const agentConfig = join(dir, 'agent.yaml');
  writeFileSync(agentConfig, `nats:\n  user: agent\n  pass: CHANGE-ME-agent\n  replicas: 3\n`);
  const agent = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, '--nats', cluster.url, '--pool', 'deploy', '--config', agentConfig, '--name', 'a1', '--max', '2'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => agent.kill('SIGKILL'));
  let out = '';
  let err = '';
  agent.stdout!.on('data', (d) => (out += d));
  agent.stderr!.on('data', (d) => (err += d));
  await waitFor(() => /waiting for a controller to create the TASKER streams/.test(err) || agent.exitCode !== null);
  t.is(agent.exitCode, null, err);
  t.false(out.includes('ready a1'), 'not pulling before the streams exist');

  const { files } = makeTaskFiles(6, (i) => `echo ${i}\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const settings = natsSettingsFrom({ url: cluster.url, pool: 'deploy', user: 'parallelr', pass: 'CHANGE-ME-controller', ack_wait: 2, replicas: 3 });
  const r = await runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 10, nats: settings, stateDir: join(dir, 'runs') }, io);
  t.is(r.exitCode, 0, io.err() + err);
  t.is(r.counts.succeeded, 6);
  t.true(out.includes('ready a1'));
  // A refused publish or subscribe reaches the worker as an error status, which it logs.
  t.notRegex(err, /"message":"nats error"/, 'the agent needed nothing it is not allowed');

  const nc = await connectNats({ servers: cluster.url, auth: AGENT });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, cluster.url);
  for (const name of [JOBS_STREAM, RESULTS_STREAM]) t.is((await jsm.streams.info(name)).config.num_replicas, 3);
});

test.serial('the agent role may not delete, purge, create or change a stream, nor delete the pool consumer', async (t) => {
  const nc = await connectNats({ servers: cluster.url, auth: AGENT });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, cluster.url);
  const denied = { message: /permissions violation/i };
  await t.throwsAsync(jsm.streams.delete(JOBS_STREAM), denied);
  await t.throwsAsync(jsm.streams.delete(RESULTS_STREAM), denied);
  await t.throwsAsync(jsm.streams.purge(JOBS_STREAM), denied);
  await t.throwsAsync(jsm.streams.add({ name: 'EVIL', subjects: ['evil.>'] }), denied);
  await t.throwsAsync(jsm.streams.update(RESULTS_STREAM, { max_age: 1_000_000_000 }), denied);
  await t.throwsAsync(jsm.consumers.delete(JOBS_STREAM, poolConsumer('deploy')), denied);
  const { jetstream } = await import('@nats-io/jetstream');
  await t.throwsAsync(jetstream(nc).publish('tasker.jobs.deploy.x.1', 'no', { timeout: 2000 }), denied);
  // Nothing changed: the controller role still sees both streams and the consumer.
  const admin = await connectNats({ servers: cluster.url, auth: { user: 'parallelr', pass: 'CHANGE-ME-controller' } });
  t.teardown(() => admin.close());
  const adminJsm = await jetStreamManagerOf(admin, cluster.url);
  t.is((await adminJsm.streams.info(RESULTS_STREAM)).state.messages > 0, true);
  t.truthy(await adminJsm.consumers.info(JOBS_STREAM, poolConsumer('deploy')));
  t.is((await adminJsm.streams.info(RESULTS_STREAM)).config.max_age, 7 * 24 * 3600 * 1e9);
});
