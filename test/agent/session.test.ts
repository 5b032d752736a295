/**
 * The agent's Session method (proto/agent.proto): many Execute calls as messages on one
 * bidirectional stream, each call's events tagged with its call_id. Driven with a raw gRPC client
 * against a real `tasker-agent` process: calls, refusals, cancel, pause/resume, the client going
 * away or half-closing, a drain, and --allow-client.
 */
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { InfoResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/InfoResponse.js';
import type { SessionEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/SessionEvent.js';
import { tempDir } from '../helpers/run-cli.js';
import { gate, loggedOutcome, newClient, SessionClient, shape } from '../helpers/session-client.js';
import { createPki, eventually, freshSocket, killIfAlive, processesMatching, startAgent, uniqueSleep, type AgentProcess } from '../helpers/agent-process.js';

type Event = SessionEvent__Output;

let agent: AgentProcess;
const extraAgents: AgentProcess[] = [];

test.before(async () => {
  // On a Unix socket, the default transport (grpc-js dials `unix:PATH` as well).
  agent = await startAgent(['--listen', await freshSocket()]);
});

test.after.always(async () => {
  for (const a of [agent, ...extraAgents]) await a?.stop();
});

test.serial('Info lists the session feature', async (t) => {
  const client = await newClient(agent.address);
  try {
    const info = await new Promise<InfoResponse__Output>((resolve, reject) => client.Info({}, (err, r) => (err ? reject(err) : resolve(r!))));
    t.true(info.features.includes('session'), JSON.stringify(info.features));
    t.true(info.features.includes('after_call'));
  } finally {
    client.close();
  }
});

test.serial('several calls on one session, two of them concurrently: each gets its own started, output and finished, unmixed', async (t) => {
  t.timeout(60_000);
  const client = await newClient(agent.address);
  const s = new SessionClient(client, 'session-calls');
  const marker = `m${uniqueSleep().replace('.', '')}`;
  const go = gate();
  try {
    // Two shell calls that both run until the gate opens, printing different text, exiting differently.
    s.execute('alpha', { exec_type: 'shell', command: `echo ${marker}-alpha-1; echo alpha-err >&2; ${go.wait}; echo alpha-2; exit 3` });
    s.execute('beta', { exec_type: 'shell', command: `echo ${marker}-beta-1; ${go.wait}; echo beta-2; echo beta-err >&2; exit 5` });
    await Promise.all([s.printed('alpha', 'alpha-1\n'), s.printed('beta', 'beta-1\n')]);
    const alphaPid = (await s.waitFor('alpha started', (e) => e.call_id === 'alpha' && e.event === 'started')).started!.pid;
    const betaPid = (await s.waitFor('beta started', (e) => e.call_id === 'beta' && e.event === 'started')).started!.pid;
    t.not(alphaPid, betaPid);
    // Both programs run at the same time, under the pids their started events name.
    const alive = processesMatching(marker);
    t.true(alive.includes(alphaPid) && alive.includes(betaPid), `pids ${alphaPid} ${betaPid} among ${alive.join(' ')}`);
    t.is(s.events.filter((e) => e.event === 'finished').length, 0);
    go.open();

    const [alpha, beta] = await Promise.all([s.end('alpha'), s.end('beta')]);
    t.is(alpha.event, 'finished');
    t.like(alpha.finished, { exit_code: 3, signal: '', canceled: false, timed_out: false });
    t.is(s.stdout('alpha'), `${marker}-alpha-1\nalpha-2\n`);
    t.is(s.stderr('alpha'), 'alpha-err\n');
    t.is(beta.event, 'finished');
    t.like(beta.finished, { exit_code: 5, signal: '', canceled: false, timed_out: false });
    t.is(s.stdout('beta'), `${marker}-beta-1\nbeta-2\n`);
    t.is(s.stderr('beta'), 'beta-err\n');
    t.is(alpha.finished!.stdout_bytes, Buffer.byteLength(s.stdout('alpha')));
    t.is(beta.finished!.stderr_bytes, Buffer.byteLength(s.stderr('beta')));
    for (const id of ['alpha', 'beta']) {
      t.regex(shape(s.of(id)), /^started (stdout|stderr)( (stdout|stderr))* finished$/, `${id}: ${shape(s.of(id))}`);
    }

    // More calls on the same session, sent back to back.
    const ids = Array.from({ length: 8 }, (_, i) => `seq${i}`);
    ids.forEach((id, i) => s.sh(id, `echo out-${i}; exit ${i}`));
    const ends = await Promise.all(ids.map((id) => s.end(id)));
    ends.forEach((end, i) => {
      t.is(end.event, 'finished', ids[i]);
      t.is(end.finished!.exit_code, i);
      t.is(s.stdout(ids[i]!), `out-${i}\n`);
      t.is(shape(s.of(ids[i]!)), 'started stdout finished');
      t.true(s.of(ids[i]!)[0]!.started!.pid > 0);
    });
    t.is(s.endedAfter, undefined, 'the session stays open between calls');
  } finally {
    s.stream.cancel();
    client.close();
  }
});

test.serial('refused calls get a failed event with the gRPC code and leave the session working', async (t) => {
  t.timeout(60_000);
  const client = await newClient(agent.address);
  const s = new SessionClient(client, 'session-refused');
  const go = gate();
  const dir = tempDir('tasker-session-');
  try {
    s.execute('', { command: 'touch', arguments: join(dir, 'no-id') });
    const noId = await s.end('');
    t.is(noId.event, 'failed');
    t.is(noId.failed!.code, grpc.status.INVALID_ARGUMENT);
    t.regex(noId.failed!.message, /call_id is required/);

    s.sh('busy', `echo ready; ${go.wait}; echo done`);
    await s.printed('busy', 'ready\n');
    s.execute('busy', { command: 'touch', arguments: join(dir, 'duplicate') });
    const dup = await s.waitFor('the duplicate refused', (e) => e.call_id === 'busy' && e.event === 'failed');
    t.is(dup.failed!.code, grpc.status.INVALID_ARGUMENT);
    t.regex(dup.failed!.message, /call_id `busy` names a call of this session that is still running/);

    s.execute('badtype', { exec_type: 'nosuch', command: 'touch', arguments: join(dir, 'badtype') });
    const badType = await s.end('badtype');
    t.is(badType.event, 'failed');
    t.is(badType.failed!.code, grpc.status.INVALID_ARGUMENT);
    t.regex(badType.failed!.message, /exec_type: unknown exec type `nosuch`/);

    s.execute('empty', { command: '  ' });
    const empty = await s.end('empty');
    t.is(empty.event, 'failed');
    t.is(empty.failed!.code, grpc.status.INVALID_ARGUMENT);
    t.regex(empty.failed!.message, /command must not be empty/);

    // The first `busy` was not disturbed: it finishes normally, once.
    go.open();
    const busy = await s.waitFor('busy finished', (e) => e.call_id === 'busy' && e.event === 'finished');
    t.is(busy.finished!.exit_code, 0);
    t.is(s.stdout('busy'), 'ready\ndone\n');
    t.is(s.of('busy').filter((e) => e.event === 'finished' || e.event === 'failed').length, 2, 'one failed (the duplicate) and one finished');
    for (const f of ['no-id', 'duplicate', 'badtype']) t.false(existsSync(join(dir, f)), `${f} did not run`);

    // A valid call afterwards works, and so does reusing the id of a call that has ended.
    s.execute('later', { command: 'echo', arguments: 'later' });
    const later = await s.end('later');
    t.is(later.event, 'finished');
    t.is(later.finished!.exit_code, 0);
    t.is(s.stdout('later'), 'later\n');
    const before = s.of('busy').length;
    s.execute('busy', { command: 'echo', arguments: 'again' });
    const again = await s.waitFor('busy again', (e) => e.call_id === 'busy' && e.event === 'finished' && e !== busy);
    t.is(again.finished!.exit_code, 0);
    t.is(s.stdout('busy').slice('ready\ndone\n'.length), 'again\n');
    t.true(s.of('busy').length > before);
    t.is(s.endedAfter, undefined);
  } finally {
    s.stream.cancel();
    client.close();
  }
});

test.serial('cancel kills the call\'s whole process group and sends no further event for it; cancel of an unknown call is ignored', async (t) => {
  t.timeout(60_000);
  const client = await newClient(agent.address);
  const s = new SessionClient(client, 'session-cancel');
  try {
    const sleep = await s.sleeper('victim');
    s.send({ cancel: 'victim' });
    await eventually(() => processesMatching(`sleep ${sleep}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${sleep}`), []);
    // Logged once the agent is completely done with the call (after anything it would send for it).
    await eventually(() => loggedOutcome(agent, 'session-cancel', 'victim') !== undefined);
    t.is(loggedOutcome(agent, 'session-cancel', 'victim'), 'canceled(CANCELED)');

    s.send({ cancel: 'no-such-call' });
    s.send({ cancel: 'victim' }); // already gone: ignored too
    s.execute('after', { command: 'echo', arguments: 'still here' });
    const after = await s.end('after');
    t.is(after.event, 'finished');
    t.is(s.stdout('after'), 'still here\n');
    // Events of one stream arrive in order: anything for `victim` would have come before this.
    t.deepEqual(s.of('victim').filter((e) => e.event === 'finished' || e.event === 'failed'), [], 'no event follows a cancel');
    t.is(shape(s.of('victim')), 'started stdout');
    t.is(s.endedAfter, undefined);
  } finally {
    s.stream.cancel();
    client.close();
  }
});

test.serial('--kill-grace: a cancelled call whose program ignores SIGTERM keeps the agent\'s grace (600 s, past the 2 s default); the agent killed, its launcher ends it', async (t) => {
  t.timeout(60_000);
  const patient = await startAgent(['--listen', await freshSocket(), '--kill-grace', '600']);
  extraAgents.push(patient);
  const client = await newClient(patient.address);
  const s = new SessionClient(client, 'session-grace');
  try {
    const sleep = uniqueSleep();
    s.sh('stubborn', `trap "" TERM; echo ready; exec sleep ${sleep}`);
    await s.printed('stubborn', 'ready\n');
    s.send({ cancel: 'stubborn' });
    await new Promise((r) => setTimeout(r, 3000));
    t.is(processesMatching(`sleep ${sleep}`).length, 1, 'still in its grace after the default 2 s');
    killIfAlive(patient.pid);
    await patient.exited;
    await eventually(() => processesMatching(`sleep ${sleep}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${sleep}`), []);
  } finally {
    s.stream.cancel();
    client.close();
  }
});

test('--kill-grace out of range is refused before the agent starts', async (t) => {
  const e = await t.throwsAsync(startAgent(['--listen', await freshSocket(), '--kill-grace', '601']));
  t.regex(e!.message, /kill-grace/);
});

test.serial('the client cancelling the stream kills the process group of the call running on it', async (t) => {
  t.timeout(60_000);
  const client = await newClient(agent.address);
  const s = new SessionClient(client, 'session-client-cancel');
  try {
    const sleep = await s.sleeper('task');
    s.stream.cancel();
    t.is((await s.status).code, grpc.status.CANCELLED);
    await eventually(() => processesMatching(`sleep ${sleep}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${sleep}`), []);
    await eventually(() => loggedOutcome(agent, 'session-client-cancel', 'task') !== undefined);
    t.is(loggedOutcome(agent, 'session-client-cancel', 'task'), 'canceled(CANCELED)');
  } finally {
    client.close();
  }
});

test.serial('half-closing the stream lets the running call finish, then the server ends the stream with OK', async (t) => {
  t.timeout(60_000);
  const client = await newClient(agent.address);
  const s = new SessionClient(client, 'session-half-close');
  const go = gate();
  try {
    s.sh('task', `echo ready; ${go.wait}; echo done; exit 4`);
    await s.printed('task', 'ready\n');
    s.stream.end();
    // An Info call on the same connection, sent after the half-close: by its answer the agent has read it.
    await new Promise<void>((resolve, reject) => client.Info({}, (err) => (err ? reject(err) : resolve())));
    t.is(s.endedAfter, undefined, 'not ended while its call runs');
    go.open();
    const status = await s.status;
    t.is(status.code, grpc.status.OK, status.details);
    const finished = await s.end('task');
    t.is(finished.event, 'finished');
    t.is(finished.finished!.exit_code, 4);
    t.is(s.stdout('task'), 'ready\ndone\n');
    await eventually(() => s.endedAfter !== undefined);
    t.is(s.events.at(-1), finished, 'finished is the last event');
    t.is(s.endedAfter, s.events.length, 'then the stream ended');
  } finally {
    client.close();
  }
});

test.serial('pause stops a call\'s output while its program waits; resume delivers every byte', async (t) => {
  t.timeout(120_000);
  const client = await newClient(agent.address);
  const s = new SessionClient(client, 'session-pause');
  // A unique size, to find the program in /proc.
  const total = 50_000_000 + Math.floor(Math.random() * 100_000);
  let received = 0;
  let lastChunk = performance.now();
  s.stream.on('data', (e: Event) => {
    if (e.call_id === 'big' && e.event === 'stdout') {
      received += e.stdout!.length;
      lastChunk = performance.now();
    }
  });
  try {
    s.execute('big', { command: 'head', arguments: `-c ${total} /dev/zero` });
    const pid = (await s.waitFor('big started', (e) => e.call_id === 'big' && e.event === 'started')).started!.pid;
    await s.waitFor('output of big', (e) => e.call_id === 'big' && e.event === 'stdout');
    s.send({ pause: 'big' });
    // Wait until nothing has arrived for a second (bytes already sent when the pause arrived drain first).
    await eventually(() => performance.now() - lastChunk > 1000, 100);
    t.log(`${received} bytes arrived before the output stopped`);
    t.true(received < 8 * 1024 * 1024, `${received} bytes arrived after the pause`);
    t.true(received > 0);
    t.deepEqual(processesMatching(`head -c ${total} /dev/zero`), [pid], 'the program is alive, held on its full pipe');
    t.false(s.of('big').some((e) => e.event === 'finished' || e.event === 'failed'));

    s.send({ resume: 'big' });
    const end = await s.end('big');
    t.is(end.event, 'finished');
    t.like(end.finished, { exit_code: 0, canceled: false, stdout_bytes: total });
    t.is(received, total);
  } finally {
    s.stream.cancel();
    client.close();
  }
});

test.serial('drain (SIGTERM): the running call finishes, a new call gets UNAVAILABLE, then the session ends and the agent exits', async (t) => {
  t.timeout(60_000);
  const a = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback', '--drain-timeout', '30']);
  extraAgents.push(a);
  const client = await newClient(a.address);
  const s = new SessionClient(client, 'session-drain');
  const go = gate();
  const dir = tempDir('tasker-session-');
  try {
    s.sh('running', `echo ready; ${go.wait}; echo done`);
    await s.printed('running', 'ready\n');
    a.child.kill('SIGTERM');
    await eventually(() => a.log().includes('"message":"draining"'));

    s.execute('late', { command: 'touch', arguments: join(dir, 'late') });
    const late = await s.end('late');
    t.is(late.event, 'failed');
    t.is(late.failed!.code, grpc.status.UNAVAILABLE);
    t.regex(late.failed!.message, /draining/);
    // A new session is refused as well.
    const other = new SessionClient(client, 'session-drain-2');
    const refused = await other.status;
    t.is(refused.code, grpc.status.UNAVAILABLE);
    t.regex(refused.details, /draining/);
    t.is(s.endedAfter, undefined, 'the session stays open while its call runs');

    go.open();
    const running = await s.end('running');
    t.is(running.event, 'finished');
    t.is(running.finished!.exit_code, 0);
    t.is(s.stdout('running'), 'ready\ndone\n');
    const status = await s.status;
    t.is(status.code, grpc.status.OK, status.details);
    await eventually(() => s.endedAfter !== undefined);
    t.is(s.events.at(-1), running, 'the finished event is the last one');
    t.is(await a.exited, 0);
    t.false(existsSync(join(dir, 'late')));
    // The log has one line when the session opened and one when it closed, with its two calls.
    const sessionLines = a
      .log()
      .split('\n')
      .filter((l) => l.includes('"message":"session '))
      .map((l) => JSON.parse(l) as { message: string; peer: string; calls?: number });
    t.deepEqual(sessionLines.map((l) => [l.message, l.calls]), [['session opened', undefined], ['session closed', 2]]);
    t.regex(sessionLines[0]!.peer, /127\.0\.0\.1:\d+/);
  } finally {
    client.close();
  }
});

test.serial('with --allow-client, a client not on the list is refused the Session with PERMISSION_DENIED', async (t) => {
  t.timeout(60_000);
  const pki = await createPki();
  const dir = tempDir('tasker-session-');
  const a = await startAgent(['--listen', '127.0.0.1:0', '--tls-ca', pki.ca, '--tls-cert', pki.agent.cert, '--tls-key', pki.agent.key, '--allow-client', 'someone-else']);
  extraAgents.push(a);
  const read = (f: string) => readFileSync(f);
  const creds = grpc.credentials.createSsl(read(pki.ca), read(pki.controller.key), read(pki.controller.cert));
  // The agent's certificate names localhost too (TLS server names are not IP addresses).
  const client = await newClient(a.address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  try {
    const s = new SessionClient(client, 'session-denied');
    s.execute('c1', { command: 'touch', arguments: join(dir, 'ran') });
    const status = await s.status;
    t.is(status.code, grpc.status.PERMISSION_DENIED, status.details);
    t.regex(status.details, /client `controller1` is not allowed on this agent \(--allow-client\)/);
    t.deepEqual(s.events, []);
    t.false(existsSync(join(dir, 'ran')));
  } finally {
    client.close();
    await a.stop();
    rmSync(pki.dir, { recursive: true, force: true });
  }
});
