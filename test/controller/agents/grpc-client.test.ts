/**
 * The controller's gRPC client against a real agent: deadlines (of calls and of Session calls), a
 * silently stalled agent (keepalive), statuses, and messages split across HTTP/2 frames.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAgentConnection } from '../../../controller/agents/index.js';
import { createAgentExecutor } from '../../../controller/executors/agent-executor.js';
import { AgentSession } from '../../../controller/agents/agent-session.js';
import type { ExecRequest } from '../../../shared/exec/executor.js';
import { GrpcCallError, Status } from '../../../controller/agents/grpc-client.js';
import { TaskerError } from '../../../shared/errors/index.js';
import { eventually, processesMatching, startAgent, uniqueSleep, type AgentProcess } from '../../helpers/agent-process.js';

const started: AgentProcess[] = [];
test.after.always(async () => {
  for (const a of started) {
    if (a.child.exitCode === null && a.child.signalCode === null) {
      a.child.kill('SIGCONT');
      a.child.kill('SIGKILL');
    }
  }
});

async function agent(): Promise<AgentProcess> {
  const a = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback']);
  started.push(a);
  return a;
}

const request = (command: string, args: string) => ({
  run_id: 'client', task_id: '1', exec_type: 'local', hostname: 'localhost', command, arguments: args, timeout_ms: 0, output_cap: 0,
});

test('a call past its deadline fails DEADLINE_EXCEEDED and the agent kills the task', async (t) => {
  const a = await agent();
  const conn = await openAgentConnection({ name: 'a', kind: 'plain', address: a.address });
  const s = uniqueSleep();
  try {
    const err = await new Promise<GrpcCallError>((resolve) => {
      const call = conn.client.serverStream(conn.methods.execute, request('sleep', s), Date.now() + 1500);
      call.on('error', resolve);
    });
    t.is(err.status, Status.DEADLINE_EXCEEDED);
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
  } finally {
    await conn.close();
  }
});

test('unary calls: health and info; a status from the agent arrives as code and details', async (t) => {
  const a = await agent();
  const conn = await openAgentConnection({ name: 'a', kind: 'plain', address: a.address });
  try {
    t.is((await conn.client.unary(conn.methods.health, { service: '' }, Date.now() + 5000)).status, 'SERVING');
    t.is((await conn.client.unary(conn.methods.info, {}, Date.now() + 5000)).version, '0.1.0');
    const err = await t.throwsAsync(conn.client.unary(conn.methods.health, { service: 'nope' }, Date.now() + 5000), { instanceOf: GrpcCallError });
    t.is(err?.status, 5); // NOT_FOUND, a trailers-only response
    t.true(err instanceof TaskerError);
    t.is(err?.code, 'CALL');
    t.is(err?.message, `NOT_FOUND: ${err?.details}`);
    const bad = await new Promise<GrpcCallError>((resolve) =>
      conn.client.serverStream(conn.methods.execute, { ...request('x', ''), exec_type: '' }, Date.now() + 5000).on('error', resolve),
    );
    t.is(bad.status, Status.INVALID_ARGUMENT);
    t.is(bad.details, 'exec_type is required');
  } finally {
    await conn.close();
  }
});

test('a call on a Session past its deadline fails DEADLINE_EXCEEDED, the agent kills the task, and the session goes on', async (t) => {
  const a = await agent();
  const conn = await openAgentConnection({ name: 'a', kind: 'plain', address: a.address });
  const session = new AgentSession(conn.client, conn.methods.session);
  const s = uniqueSleep();
  try {
    const err = await new Promise<GrpcCallError>((resolve) => {
      session.execute({ ...request('sleep', s), call_id: 'c1' }, Date.now() + 1500).on('error', resolve);
    });
    t.is(err.status, Status.DEADLINE_EXCEEDED);
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
    const events = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const call = session.execute({ ...request('echo', 'next'), call_id: 'c2' }, Date.now() + 5000);
      call.on('data', (e) => got.push(e.event === 'stdout' ? e.stdout!.toString() : e.event!));
      call.on('error', reject);
      call.on('end', () => resolve(got));
    });
    t.deepEqual(events, ['started', 'next\n', 'finished']);
  } finally {
    session.close();
    await conn.close();
  }
});

for (const way of ['an Execute call', 'the Session stream'] as const) test(`an agent that stops answering mid-task (SIGSTOP, the link stays up) fails the task through keepalive (${way})`, async (t) => {
  const a = await agent();
  const ex = createAgentExecutor({ name: 'stalled', kind: 'plain', address: a.address });
  const s = uniqueSleep();
  try {
    if (way === 'the Session stream') await ex.probe(); // the agent lists the feature
    let ready = false;
    const running = ex.execute({
      runId: 'stall', taskId: '1', execType: 'local', hostname: 'localhost', command: 'sh', arguments: `-c 'echo ready; exec sleep ${s}'`,
      timeoutMs: 3600_000, onStdout: () => (ready = true),
    });
    await eventually(() => ready);
    a.child.kill('SIGSTOP'); // no FIN, no RST: only an unanswered ping tells
    const r = await running;
    t.is(r.exitCode, 255);
    t.regex(r.stderr, /agent stalled \(127\.0\.0\.1:\d+, plaintext loopback\) lost during the task \(remote pid \d+\): UNAVAILABLE: keepalive ping not answered within 5 s/);
    t.is(r.stdout, 'ready\n');
    // Resumed, the agent finds the connection gone and kills the task: nothing survives.
    a.child.kill('SIGCONT');
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
  } finally {
    a.child.kill('SIGCONT');
    await ex.close();
    // The resumed agent kills it itself (the call is gone); this only makes sure, racing it.
    for (const pid of processesMatching(`sleep ${s}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

test('messages larger than one HTTP/2 frame and many small ones arrive intact and in order', async (t) => {
  const a = await agent();
  const ex = createAgentExecutor({ name: 'a', kind: 'plain', address: a.address });
  try {
    // 200 KB chunks (several 16 KB frames each), then many tiny writes.
    const script = `i=0; while [ $i -lt 3 ]; do head -c 200000 /dev/zero | tr '\\\\0' a; i=$((i+1)); done; for n in $(seq 1 500); do echo $n; done`;
    const r = await ex.execute({ runId: 'frames', taskId: '1', execType: 'local', hostname: 'localhost', command: 'sh', arguments: `-c "${script}"`, timeoutMs: 60_000, captureLimit: 4 * 1024 * 1024 });
    t.is(r.exitCode, 0, r.stderr);
    const lines = Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join('');
    t.is(r.stdout, 'a'.repeat(600_000) + lines);
  } finally {
    await ex.close();
  }
});

for (const way of ['Execute calls', 'a Session'] as const) test(`an agent restarted between tasks: the next task opens a new connection and runs (${way})`, async (t) => {
  const { freePort } = await import('../../helpers/sshd.js');
  const port = await freePort();
  const first = await startAgent(['--listen', `127.0.0.1:${port}`, '--insecure-loopback']);
  started.push(first);
  const ex = createAgentExecutor({ name: 'restarted', kind: 'plain', address: `127.0.0.1:${port}` });
  const echo = (text: string) =>
    ex.execute({ runId: 'restart', taskId: '1', execType: 'local', hostname: 'localhost', command: 'echo', arguments: text, timeoutMs: 10_000 });
  try {
    if (way === 'a Session') await ex.probe(); // the agent lists the feature
    t.is((await echo('one')).stdout, 'one\n');
    t.is(await first.stop(), 0);
    const down = await echo('nobody');
    t.is(down.exitCode, 255);
    t.regex(down.stderr, /agent restarted \(127\.0\.0\.1:\d+, plaintext loopback\) not reachable: UNAVAILABLE/);
    started.push(await startAgent(['--listen', `127.0.0.1:${port}`, '--insecure-loopback']));
    t.is((await echo('two')).stdout, 'two\n');
  } finally {
    await ex.close();
  }
});

test('a port that is not an agent: a clear problem, no hang, no stack trace', async (t) => {
  const { createServer } = await import('node:net');
  const { checkAgents } = await import('../../../controller/executors/check-agents.js');
  const listen = (onConn: (s: import('node:net').Socket) => void) =>
    new Promise<import('node:net').Server>((resolve) => {
      const srv = createServer(onConn).listen(0, '127.0.0.1', () => resolve(srv));
    });
  const talker = await listen((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
  const accepted: import('node:net').Socket[] = [];
  const silent = await listen((sock) => void accepted.push(sock)); // accepts and never answers
  try {
    const addr = (srv: import('node:net').Server) => `127.0.0.1:${(srv.address() as { port: number }).port}`;
    const [wrong] = await checkAgents([{ name: 'wrong', kind: 'plain', address: addr(talker) }]);
    t.regex(wrong!.message, /^agent wrong \(127\.0\.0\.1:\d+, plaintext loopback\): not reachable: .*(does not speak gRPC|closed)/);
    const [mute] = await checkAgents([{ name: 'mute', kind: 'plain', address: addr(silent) }]);
    t.regex(mute!.message, /^agent mute \(127\.0\.0\.1:\d+, plaintext loopback\): not reachable: deadline exceeded$/);
    for (const p of [wrong!, mute!]) t.notRegex(p.message, /\n\s+at /);
  } finally {
    for (const sock of accepted) sock.destroy();
    talker.close();
    silent.close();
  }
});

test('many tasks at once on one Session: each gets its own output and exit code; one cancelled, one large, the others intact', async (t) => {
  const a = await agent();
  const ex = createAgentExecutor({ name: 'busy', kind: 'plain', address: a.address });
  const s = uniqueSleep();
  try {
    await ex.probe(); // the agent lists the feature: tasks go on its Session
    const task = (taskId: string, args: string, extra: Partial<ExecRequest> = {}) =>
      ex.execute({ runId: 'many', taskId, execType: 'local', hostname: 'localhost', command: 'sh', arguments: args, timeoutMs: 60_000, ...extra });
    const stop = new AbortController();
    const cancelled = task('sleeper', `-c "echo up; sleep ${s}"`, { signal: stop.signal, onStdout: () => stop.abort('SIGINT') });
    const large = task('large', '-c "head -c 3000000 /dev/zero; echo; exit 7"', { captureLimit: 4 * 1024 * 1024 });
    const small = Array.from({ length: 24 }, (_, i) => task(String(i), `-c "echo out ${i}; echo err ${i} >&2; exit ${i % 5}"`));
    const results = await Promise.all(small);
    results.forEach((r, i) => {
      t.is(r.exitCode, i % 5, `task ${i}`);
      t.is(r.stdout, `out ${i}\n`);
      t.is(r.stderr, `err ${i}\n`);
    });
    const big = await large;
    t.is(big.exitCode, 7);
    t.is(big.stdoutBytes, 3_000_001);
    const c = await cancelled;
    t.true(c.canceled);
    t.is(c.exitCode, 130);
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
  } finally {
    await ex.close();
  }
});

test('tasker -r --agent (the built bin) interrupted while its agent hangs (SIGSTOP) exits with its records, and the resumed agent kills the task', async (t) => {
  const a = await agent();
  const dir = mkdtempSync(join(tmpdir(), 'tasker-hung-agent-'));
  const s = uniqueSleep();
  writeFileSync(join(dir, 'one.txt'), `task=0\nhostname=localhost\ncommand=sleep\narguments=${s}\nexec=local\ntimeout=3600\n`);
  const tasker = join(import.meta.dirname, '../../../dist/controller/cli/tasker.cjs');
  const child = spawn(tasker, ['-r', '--agent', a.address, '-l', join(dir, 'logs'), 'one.txt'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('close', r));
  try {
    await eventually(() => processesMatching(`sleep ${s}`).length > 0);
    a.child.kill('SIGSTOP'); // the host hangs: no FIN, no RST
    child.kill('SIGINT');
    // Bounded here so a hang fails with its output: before, the open Session kept tasker alive for good.
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<string>((r) => (timer = setTimeout(() => r('still running 30 s after SIGINT'), 30_000)))]);
    clearTimeout(timer);
    t.is(code, 130, out);
    t.regex(out, /Interrupted by SIGINT during task 0/);
    a.child.kill('SIGCONT');
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
  } finally {
    a.child.kill('SIGCONT');
    child.kill('SIGKILL');
    for (const pid of processesMatching(`sleep ${s}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});
