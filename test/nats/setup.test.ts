/** Connection settings, authentication, TLS and the errors an operator sees when NATS is not right. */
import test from 'ava';
import { subjects } from '../../shared/nats/subjects.js';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNatsServer } from '../helpers/nats-server.js';
import { resumeDistributed, runDistributed } from '../../controller/nats/run-distributed.js';
import { writeRunState } from '../../controller/nats/run-state.js';
import { connectNats, natsSettingsFrom, DEFAULT_NATS_URL } from '../../shared/nats/connection.js';
import { makeTaskFiles, readResults, recordingIo, startWorker, WORKER_MAIN, ROOT } from './fleet.js';
import { ConfigError, SetupError } from '../../shared/errors/index.js';
import { startNatsWorker } from '../../agent/nats/worker.js';

const NO_STACK = /\n\s+at /;

test('settings: flags beat the environment, which beats the config file; defaults fill the rest', (t) => {
  t.deepEqual(natsSettingsFrom(undefined), { servers: [DEFAULT_NATS_URL], pool: 'default', ackWaitSec: 30 });
  const section = { url: 'nats://cfg:4222', pool: 'cfgpool', ack_wait: 7, user: 'u', pass: 'p', tls: { ca: '/ca.pem' } };
  t.deepEqual(natsSettingsFrom(section), {
    servers: ['nats://cfg:4222'], pool: 'cfgpool', ackWaitSec: 7, auth: { user: 'u', pass: 'p' }, tls: { ca: '/ca.pem' },
  });
  const env = { TASKER_NATS_ACK_WAIT: '2.5', TASKER_NATS_URL: 'nats://env:1,nats://env:2' };
  const s = natsSettingsFrom(section, env, { pool: 'flagpool' });
  t.deepEqual([s.servers, s.pool, s.ackWaitSec], [['nats://env:1', 'nats://env:2'], 'flagpool', 2.5]);
  t.is(natsSettingsFrom(section, env, { url: 'nats://flag:9' }).servers[0], 'nats://flag:9');
});

const badSettings = test.macro((t, section: unknown, env: NodeJS.ProcessEnv, message: string) => {
  const e = t.throws(() => natsSettingsFrom(section, env, {}, 'ctl.yaml'), { instanceOf: SetupError });
  t.is(e?.message, message);
});
test('settings: unknown key', badSettings, { urls: 'x' }, {}, 'ctl.yaml: unknown key `nats.urls` (known: url, pool, ack_wait, replicas, user, pass, token, nkey_seed_file, tls, records_max_mb)');
test('settings: bad records_max_mb in config', badSettings, { records_max_mb: '0' }, {}, 'ctl.yaml: nats.records_max_mb must be a number of MiB from 0.01 to 1024, got `0`');
test('settings: bad TASKER_NATS_RECORDS_MAX_MB', badSettings, {}, { TASKER_NATS_RECORDS_MAX_MB: 'lots' }, 'TASKER_NATS_RECORDS_MAX_MB must be a number of MiB from 0.01 to 1024, got `lots`');
test('settings: bad ack_wait in config', badSettings, { ack_wait: 'soon' }, {}, 'ctl.yaml: nats.ack_wait must be a number of seconds from 1 to 86400, got `soon`');
test('settings: bad TASKER_NATS_ACK_WAIT', badSettings, {}, { TASKER_NATS_ACK_WAIT: '0' }, 'TASKER_NATS_ACK_WAIT must be a number of seconds from 1 to 86400, got `0`');
test('settings: replicas 0 in config', badSettings, { replicas: 0 }, {}, 'ctl.yaml: nats.replicas must be a whole number of stream replicas from 1 to 5 (3 for a 3-node cluster), got `0`');
test('settings: replicas 6 in TASKER_NATS_REPLICAS', badSettings, {}, { TASKER_NATS_REPLICAS: '6' }, 'TASKER_NATS_REPLICAS must be a whole number of stream replicas from 1 to 5 (3 for a 3-node cluster), got `6`');
test('settings: replicas not a number', badSettings, { replicas: 'three' }, {}, 'ctl.yaml: nats.replicas must be a whole number of stream replicas from 1 to 5 (3 for a 3-node cluster), got `three`');
test('settings: replicas 2.5', badSettings, { replicas: 2.5 }, {}, 'ctl.yaml: nats.replicas must be a whole number of stream replicas from 1 to 5 (3 for a 3-node cluster), got `2.5`');

test('settings: replicas from the flag beat the environment, which beats the config; unset by default', (t) => {
  t.is(natsSettingsFrom({}).replicas, undefined);
  t.is(natsSettingsFrom({ replicas: 3 }).replicas, 3);
  t.is(natsSettingsFrom({ replicas: 3 }, { TASKER_NATS_REPLICAS: '5' }).replicas, 5);
  t.is(natsSettingsFrom({ replicas: 3 }, { TASKER_NATS_REPLICAS: '5' }, { replicas: '1' }).replicas, 1);
  const e = t.throws(() => natsSettingsFrom({}, {}, { replicas: '7' }), { instanceOf: SetupError });
  t.is(e?.message, '--nats-replicas must be a whole number of stream replicas from 1 to 5 (3 for a 3-node cluster), got `7`');
});

test('replicas 3 on a single server: one line naming nats.replicas, no stack trace', async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.dispose());
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-r3-'));
  const { files } = makeTaskFiles(1, () => 'true\n');
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 5, nats: { servers: [server.url], pool: 'r3', ackWaitSec: 2, replicas: 3 }, stateDir: join(dir, 'runs') }, io);
  t.is(r.exitCode, 1);
  t.regex(io.err(), /^parallelr: cannot create stream TASKER_JOBS with 3 replicas: .*; set nats\.replicas \(or --nats-replicas\) to at most the number of JetStream servers in the cluster \(1 for a single server\)\n$/);
  t.notRegex(io.err(), NO_STACK);
});

test('settings: pool not a subject token', badSettings, { pool: 'a.b' }, {}, "NATS pool name must be 1-64 letters, digits, '_' or '-', got `a.b`");
const badWorker = test.macro(async (t, options: { pool?: string; max?: number }, message: string) => {
  // Refused before any connection is tried: the server named here does not exist.
  const e = await t.throwsAsync(startNatsWorker({ servers: 'nats://127.0.0.1:1', ...options }), { instanceOf: ConfigError });
  t.is(e?.message, message);
});
test('worker options: --max 0 is a ConfigError', badWorker, { max: 0 }, 'max must be a whole number of at least 1, got 0');
test('worker options: a pool that is not a subject token is a ConfigError', badWorker, { pool: 'a.b' }, "pool must be 1-64 letters, digits, '_' or '-', got `a.b`");
test('settings: user without pass', badSettings, { user: 'u' }, {}, 'ctl.yaml: `nats.user` and `nats.pass` go together');
test('settings: tls cert without key', badSettings, { tls: { cert: 'c.pem' } }, {}, 'ctl.yaml: `nats.tls.cert` and `nats.tls.key` go together');

test('unreachable NATS: a one-line error naming the URL, no stack trace', async (t) => {
  const url = `nats://127.0.0.1:${await freePort()}`;
  const { dir, files } = makeTaskFiles(1, () => 'true\n');
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 5, nats: { servers: [url], pool: 'p', ackWaitSec: 2 }, stateDir: join(dir, 'runs') }, io);
  t.is(r.exitCode, 1);
  t.is(io.err(), `parallelr: cannot reach NATS at ${url}: connection refused\n`);
  // Nothing was published: no run state is left behind to name a run that never was.
  t.deepEqual(readdirSync(join(dir, 'runs')), []);
});

test('a resumed run that cannot reach NATS keeps its run state, to be resumed later', async (t) => {
  const url = `nats://127.0.0.1:${await freePort()}`;
  const { dir, files } = makeTaskFiles(2, () => 'true\n');
  const stateDir = join(dir, 'runs');
  const runId = 'keep-state-1';
  // As a run whose controller crashed after publishing leaves it.
  writeRunState(stateDir, {
    version: 1, runId, createdAt: new Date().toISOString(), servers: [url], pool: 'keep', command: '/bin/sh @TASK@',
    timeoutSeconds: 5, maxOutputCapture: 1000, stopLimits: null, resultsFile: join(dir, 'results.jsonl'), files, status: 'running',
  });
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await resumeDistributed({ runId, stateDir }, io);
  t.is(r.exitCode, 1);
  t.is(io.err(), `parallelr: cannot reach NATS at ${url}: connection refused\n`);
  t.deepEqual(readdirSync(stateDir), [`${runId}.json`]);
});

test('JetStream off: controller and agent both say so and name the URL', async (t) => {
  const server = await startNatsServer({ noJetStream: true });
  try {
    const { dir, files } = makeTaskFiles(1, () => 'true\n');
    const io = recordingIo({ PARALLELR_HOME: dir });
    const r = await runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 5, nats: { servers: [server.url], pool: 'p', ackWaitSec: 2 }, stateDir: join(dir, 'runs') }, io);
    t.is(r.exitCode, 1);
    const expected = `JetStream is not enabled on the NATS server at ${server.url}: start nats-server with -js (or a \`jetstream {}\` block in its config)`;
    t.is(io.err(), `parallelr: ${expected}\n`);
    // Its own workdir: the default one may hold workspaces of agents other tests killed, whose removal it would log.
    const agent = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, '--nats', server.url, '--pool', 'p', '--workdir', join(dir, 'agent-work')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    agent.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((r) => agent.once('exit', r));
    t.is(code, 1);
    t.is(err, `worker-main: ${expected}\n`);
  } finally {
    await server.dispose();
  }
});

test('user/password from the agent config file and the controller settings; a wrong password is refused clearly', async (t) => {
  const server = await startNatsServer({ args: ['--user', 'tasker', '--pass', 's3cret'] });
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-auth-'));
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, `nats:\n  user: tasker\n  pass: s3cret\n`);
  const worker = await startWorker(server.url, { name: 'auth1', pool: 'auth', max: 2, env: {} }).catch((e) => e as Error);
  t.true(worker instanceof Error, 'without credentials the agent cannot start');
  const agent = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, '--nats', server.url, '--pool', 'auth', '--config', config, '--name', 'auth2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    agent.stdout!.on('data', (d) => (out += d));
    while (!out.includes('ready auth2')) {
      if (agent.exitCode !== null) throw new Error('agent exited');
      await new Promise((r) => setTimeout(r, 25));
    }
    const { files } = makeTaskFiles(3, (i) => `echo ${i}\n`);
    const io = recordingIo({ PARALLELR_HOME: dir });
    const settings = natsSettingsFrom({ url: server.url, pool: 'auth', user: 'tasker', pass: 's3cret', ack_wait: 2 });
    const r = await runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 5, nats: settings, stateDir: join(dir, 'runs') }, io);
    t.is(r.exitCode, 0, io.err());
    t.is(readResults(r.resultsFile!).filter((x) => x.agent === 'auth2').length, 3);

    const bad = recordingIo({ PARALLELR_HOME: dir });
    const r2 = await runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 5, nats: { ...settings, auth: { user: 'tasker', pass: 'wrong' } }, stateDir: join(dir, 'runs') }, bad);
    t.is(r2.exitCode, 1);
    t.is(bad.err(), `parallelr: NATS at ${server.url} refused our credentials (Authorization Violation); check nats.user/pass, token or nkey_seed_file\n`);
    t.notRegex(bad.err(), NO_STACK);
  } finally {
    agent.kill('SIGKILL');
    await server.dispose();
  }
});

test('token and nkey authentication', async (t) => {
  const tokenServer = await startNatsServer({ args: ['--auth', 'tok-123'] });
  try {
    const nc = await connectNats({ servers: tokenServer.url, auth: { token: 'tok-123' } });
    t.false(nc.isClosed());
    await nc.close();
    await t.throwsAsync(connectNats({ servers: tokenServer.url, auth: { token: 'nope' } }), { instanceOf: SetupError, message: /refused our credentials/ });
  } finally {
    await tokenServer.dispose();
  }
  const { nkeys } = await import('@nats-io/transport-node');
  const user = nkeys.createUser();
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-nkey-'));
  const seedFile = join(dir, 'user.nk');
  writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()) + '\n');
  const conf = join(dir, 'server.conf');
  writeFileSync(conf, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
  const nkeyServer = await startNatsServer({ args: ['-c', conf] });
  try {
    const settings = natsSettingsFrom({ url: nkeyServer.url, nkey_seed_file: seedFile });
    const nc = await connectNats({ servers: settings.servers, auth: settings.auth });
    t.false(nc.isClosed());
    await nc.close();
    await t.throwsAsync(connectNats({ servers: nkeyServer.url, auth: { nkeySeedFile: join(dir, 'missing.nk') } }), {
      instanceOf: SetupError,
      message: `cannot read nkey seed file ${join(dir, 'missing.nk')}: ENOENT`,
    });
  } finally {
    await nkeyServer.dispose();
  }
});

test('TLS: the CA from config verifies the server', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=tasker-test-ca');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  const server = await startNatsServer({ args: ['--tls', '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server.key')] });
  try {
    const settings = natsSettingsFrom({ url: `tls://127.0.0.1:${server.port}`, tls: { ca: join(dir, 'ca.pem') } });
    const nc = await connectNats({ servers: settings.servers, tls: settings.tls });
    t.false(nc.isClosed());
    await nc.close();
    const e = await t.throwsAsync(connectNats({ servers: `tls://127.0.0.1:${server.port}`, tls: {} }), { instanceOf: SetupError });
    t.regex(e!.message, /^(TLS handshake with NATS at tls:\/\/127\.0\.0\.1:\d+ failed|cannot reach NATS at tls:\/\/127\.0\.0\.1:\d+): .*certificate/i);
  } finally {
    await server.dispose();
  }
});

test('deploy/nats-server.conf with nats-auth.conf: its controller and agent roles run a job; an agent may not publish jobs', async (t) => {
  const { readFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-deploy-'));
  const conf = join(dir, 'nats-server.conf');
  // Same file, minus the fixed monitoring port and store path (the harness picks free ones).
  writeFileSync(conf, readFileSync(join(ROOT, 'deploy/nats-server.conf'), 'utf8').replace(/^http: .*$/m, '').replace(/store_dir: .*/, ''));
  writeFileSync(join(dir, 'nats-auth.conf'), readFileSync(join(ROOT, 'deploy/nats-auth.conf'), 'utf8'));
  const server = await startNatsServer({ args: ['-c', conf] });
  const agentConfig = join(dir, 'agent.yaml');
  writeFileSync(agentConfig, 'nats:\n  user: agent\n  pass: CHANGE-ME-agent\n');
  // The agent role may not create the streams: the controller's run comes first and creates them.
  const { files } = makeTaskFiles(4, (i) => `echo ${i}\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const settings = natsSettingsFrom({ url: server.url, pool: 'deploy', user: 'parallelr', pass: 'CHANGE-ME-controller', ack_wait: 2 });
  const run = runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 5, nats: settings, stateDir: join(dir, 'runs') }, io);
  const agent = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, '--nats', server.url, '--pool', 'deploy', '--config', agentConfig, '--name', 'd1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    let err = '';
    agent.stdout!.on('data', (d) => (out += d));
    agent.stderr!.on('data', (d) => (err += d));
    while (!out.includes('ready d1')) {
      if (agent.exitCode !== null) throw new Error(`agent exited: ${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const r = await run;
    t.is(r.exitCode, 0, io.err() + err);
    t.is(r.counts.succeeded, 4);
    const nc = await connectNats({ servers: server.url, auth: { user: 'agent', pass: 'CHANGE-ME-agent' } });
    const { jetstream } = await import('@nats-io/jetstream');
    await t.throwsAsync(jetstream(nc).publish('tasker.jobs.deploy.x.1', 'no', { timeout: 2000 }));
    // Agents ask each other whether they still hold a job, and answer (claim-job.ts).
    nc.subscribe(subjects.holds('i1'), { callback: (_e, m) => m.respond(new TextEncoder().encode('{"holding":true}')) });
    await nc.flush();
    const asker = await connectNats({ servers: server.url, auth: { user: 'agent', pass: 'CHANGE-ME-agent' } });
    const reply = await asker.request(subjects.holds('i1'), new TextEncoder().encode('{}'), { timeout: 2000 });
    t.is(new TextDecoder().decode(reply.data), '{"holding":true}');
    await asker.close();
    await nc.close();
  } finally {
    agent.kill('SIGKILL');
    await server.dispose();
  }
});

test('settings: the records cap comes from TASKER_NATS_RECORDS_MAX_MB over nats.records_max_mb, in bytes', (t) => {
  t.is(natsSettingsFrom({ records_max_mb: 2 }, {}).recordsCapBytes, 2 * 1024 * 1024);
  t.is(natsSettingsFrom({ records_max_mb: 2 }, { TASKER_NATS_RECORDS_MAX_MB: '0.5' }).recordsCapBytes, 512 * 1024);
  t.is(natsSettingsFrom({}, {}).recordsCapBytes, undefined);
});
