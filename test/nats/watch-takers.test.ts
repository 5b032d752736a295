/**
 * A run nobody takes jobs from says why (controller/nats/watch-takers.ts), from the real heartbeats
 * of real agents: a mistyped pool, a pool whose agents are busy, a NATS user that may not read the
 * heartbeats; and it says so once more when a job is taken at last.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { connectNats } from '../../shared/nats/index.js';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { watchTakers, type TakersState } from '../../controller/nats/watch-takers.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { agentForTest, makeTaskFiles, recordingIo, sleep, useNatsFleet, waitFor } from './fleet.js';

const fleet = useNatsFleet(test);

/** Heartbeats come every 5 s: listening from the start of the stall, 6 s hears every agent at least once. */
const QUICK = { listenAfterMs: 0, quietMs: 6000, tickMs: 100 };

test.serial('a run on a pool no agent serves says which pools the agents heard serve, and carries on when an agent of its pool comes', async (t) => {
  await agentForTest(t, fleet, 'prod-1', 'prod', 2);
  const home = mkdtempSync(join(tmpdir(), 'tasker-takers-home-'));
  const { files } = makeTaskFiles(2, (i) => `#!/bin/sh\necho ${i}\n`);
  const io = recordingIo({ HOME: home, PARALLELR_HOME: join(home, 'parallelr') });
  const run = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool: 'prdo', ackWaitSec: 5 }, takers: QUICK, stateDir: join(home, 'runs') }, io);

  await waitFor(() => io.err().includes('no agent has taken'));
  t.regex(io.err(), /^parallelr: no agent has taken a job of this run for [67] s \(2 waiting\): no agent of pool "prdo" is heard on this NATS server; agents heard serve pool "prod" \(prod-1\)\. Check --pool, or start one with tasker-agent serve --nats URL --pool prdo\. The run waits for them; stop it with Ctrl-C or parallelr -k$/m);

  await agentForTest(t, fleet, 'prdo-1', 'prdo', 2);
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(r.counts.succeeded, 2);
  t.regex(io.err(), /^parallelr: agent prdo-1 took a job after \d+ s: the run carries on$/m);
  t.is(io.err().match(/no agent has taken/g)?.length, 1, 'said once: the repeat comes only after a minute');
  const logs = join(home, 'parallelr', 'logs');
  const mainLog = readFileSync(join(logs, readdirSync(logs).find((n) => /^parallelr_.+\.log$/.test(n) && !n.endsWith('_output.txt'))!), 'utf8');
  t.regex(mainLog, / - WARNING - parallelr: no agent has taken a job of this run for \d+ s \(2 waiting\): no agent of pool "prdo"/);
  t.regex(mainLog, / - WARNING - parallelr: agent prdo-1 took a job after \d+ s/);
});

test.serial('the agents of the pool are all busy with another run: said so, with their slots', async (t) => {
  await agentForTest(t, fleet, 'busy-1', 'busy', 1);
  const home = mkdtempSync(join(tmpdir(), 'tasker-takers-home-'));
  const { files } = makeTaskFiles(1, () => '#!/bin/sh\nsleep 60\n');
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const io = recordingIo({ HOME: home, PARALLELR_HOME: join(home, 'parallelr') }, stop.signal);
  const other = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 120, nats: { servers: [fleet.server.url], pool: 'busy', ackWaitSec: 5 }, stateDir: join(home, 'runs'), cancelGraceMs: 2000 }, io);
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  // The agent's next heartbeat counts the running job.
  let beats = 0;
  nc.subscribe('tasker.heartbeat.busy.>', { callback: (_e, m) => (beats += JSON.parse(new TextDecoder().decode(m.data)).running === 1 ? 1 : 0) });
  await waitFor(() => beats > 0);

  const notes: string[] = [];
  const watch = watchTakers(nc, 'busy', () => ({ waiting: 3, running: 0, runningOn: [], jetStreamDown: false }), (text) => notes.push(text), QUICK);
  t.teardown(() => watch.stop());
  await waitFor(() => notes.length > 0);
  t.regex(notes[0]!, /^parallelr: no agent has taken a job of this run for [67] s \(3 waiting\): the 1 agent of pool "busy" \(busy-1\) is busy with other work: 1 of 1 slots running\./);
  watch.progressed('busy-1', 'took');
  t.regex(notes[1]!, /^parallelr: agent busy-1 took a job after \d+ s: the run carries on$/);
  watch.stop();
  await sleep(1000);
  t.is(notes.length, 2, 'nothing after stop()');
  stop.abort();
  await other;
});

test.serial('while its jobs run on agents that are heard (long jobs), or while JetStream does not answer, the watch keeps quiet', async (t) => {
  await agentForTest(t, fleet, 'quiet-1', 'quiet', 2);
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  const notes: string[] = [];
  let state: TakersState = { waiting: 5, running: 1, runningOn: ['quiet-1'], jetStreamDown: false };
  const watch = watchTakers(nc, 'quiet', () => state, (text) => notes.push(text), QUICK);
  t.teardown(() => watch.stop());
  // Longer than an agent may stay silent (two heartbeats and a second): quiet-1 is heard all along.
  await sleep(12_500);
  state = { waiting: 5, running: 0, runningOn: [], jetStreamDown: true };
  await sleep(1500);
  t.deepEqual(notes, [], 'a run whose jobs run on a live agent, or that cannot reach JetStream, is not stalled for want of agents');
  // The stall counts from when it could first be one.
  state = { waiting: 5, running: 0, runningOn: [], jetStreamDown: false };
  await waitFor(() => notes.length > 0);
  t.regex(notes[0]!, /^parallelr: no agent has taken a job of this run for [67] s \(5 waiting\): the 1 agent of pool "quiet" \(quiet-1\) has free slots \(0 of 2 running\) yet took none/);
});

test.serial('the only agent dies mid-job (SIGKILL): the run names it as silent, and carries on when another agent of the pool runs the job again', async (t) => {
  const lone = await agentForTest(t, fleet, 'lone-1', 'lone', 1);
  const home = mkdtempSync(join(tmpdir(), 'tasker-takers-home-'));
  const { dir, files } = makeTaskFiles(2, (i, at) => `#!/bin/sh\ntouch ${at}/started.${i}\nsleep 3\n`);
  const io = recordingIo({ HOME: home, PARALLELR_HOME: join(home, 'parallelr') });
  const run = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool: 'lone', ackWaitSec: 4 }, takers: { listenAfterMs: 0, quietMs: 2000, tickMs: 100 }, stateDir: join(home, 'runs') }, io);
  // Its first job started: kill the agent mid-job.
  await waitFor(() => existsSync(join(dir, 'started.1')));
  await lone.kill9();
  await waitFor(() => io.err().includes('sent no heartbeat'));
  t.regex(io.err(), /^parallelr: no job of this run started or finished for \d+ s, and agent lone-1, running 1 of its jobs, sent no heartbeat for 1[1-9] s: if gone, those jobs go back to the queue after the pool's ack_wait and run again on another agent of pool "lone", and none is heard \(1 more waiting\)\. The run waits for them; stop it with Ctrl-C or parallelr -k$/m);

  await agentForTest(t, fleet, 'lone-2', 'lone', 1);
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(r.counts.succeeded, 2);
  t.regex(io.err(), /^parallelr: agent lone-2 took a job after \d+ s: the run carries on$/m);
  const rerun = r.records.find((rec) => rec.runs === 2);
  t.truthy(rerun, 'the job lone-1 was running ran again, and its record says so');
  t.regex(rerun!.rerun_cause ?? '', /lone-1/);
});

test('a NATS user that may not read the heartbeats: the note says what it cannot know', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-takers-auth-'));
  const conf = join(dir, 'auth.conf');
  writeFileSync(conf, 'authorization { users = [ { user: ctl, password: ctlpw, permissions: { subscribe: { deny: ["tasker.heartbeat.>"] } } } ] }\n');
  const server = await startNatsServer({ args: ['-c', conf], noJetStream: true });
  t.teardown(() => server.dispose());
  const nc = await connectNats({ servers: server.url, auth: { user: 'ctl', pass: 'ctlpw' } });
  t.teardown(() => nc.close());
  const notes: string[] = [];
  const watch = watchTakers(nc, 'p', () => ({ waiting: 1, running: 0, runningOn: [], jetStreamDown: false }), (text) => notes.push(text), { listenAfterMs: 0, quietMs: 1500, tickMs: 50 });
  t.teardown(() => watch.stop());
  await waitFor(() => notes.length > 0);
  t.regex(notes[0]!, /^parallelr: no agent has taken a job of this run for 2 s \(1 waiting\): no agent of pool "p" took one \(which agents are up is unknown: this NATS user may not read their heartbeats, tasker\.heartbeat\.>: .*[Pp]ermissions? [Vv]iolation.*\)\. The run waits/);
});

test.serial('a draining agent (SIGTERM) says so at once and is heard until its jobs end, so nobody takes it for lost', async (t) => {
  const agent = await agentForTest(t, fleet, 'drain-1', 'drain', 1);
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  const beats: { draining?: boolean; running: number }[] = [];
  nc.subscribe('tasker.heartbeat.drain.>', { callback: (_e, m) => beats.push(JSON.parse(new TextDecoder().decode(m.data))) });
  const home = mkdtempSync(join(tmpdir(), 'tasker-takers-home-'));
  const { dir, files } = makeTaskFiles(1, (i, at) => `#!/bin/sh\ntouch ${at}/started.${i}\nsleep 3\n`);
  const io = recordingIo({ HOME: home, PARALLELR_HOME: join(home, 'parallelr') });
  const run = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool: 'drain', ackWaitSec: 5 }, stateDir: join(home, 'runs') }, io);
  await waitFor(() => existsSync(join(dir, 'started.1')));
  const before = beats.length;
  agent.child.kill('SIGTERM');
  await waitFor(() => beats.slice(before).some((b) => b.draining === true));
  t.like(beats.slice(before).find((b) => b.draining === true), { running: 1 }, 'draining, its job still running');
  const r = await run;
  t.is(r.counts.succeeded, 1, 'the job it was running finished');
  await new Promise((resolve) => (agent.child.exitCode !== null ? resolve(undefined) : agent.child.once('exit', resolve)));
  const after = beats.length;
  await sleep(5500);
  t.is(beats.length, after, 'no heartbeat once it is gone');
  t.false(io.err().includes('sent no heartbeat'));
});
