import test from 'ava';
import { rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type AgentSpec } from '../../controller/agents/index.js';
import { createAgentExecutor } from '../../controller/executors/agent-executor.js';
import { checkAgents } from '../../controller/executors/check-agents.js';
import type { ExecRequest } from '../../shared/exec/executor.js';
import { createPki, eventually, killIfAlive, processesMatching, runAgentCli, startAgent, uniqueSleep, type AgentProcess, type TestPki } from '../helpers/agent-process.js';

let pki: TestPki;
let agent: AgentProcess;
const started: AgentProcess[] = [];

const tlsArgs = () => ['--tls-ca', pki.ca, '--tls-cert', pki.agent.cert, '--tls-key', pki.agent.key];
const spec = (a: AgentProcess, client = pki.controller, ca = pki.ca): AgentSpec => ({
  name: 'agent1',
  kind: 'tls',
  address: a.address,
  tls: { ca, cert: client.cert, key: client.key },
});
const req = (command: string, args: string, extra: Partial<ExecRequest> = {}): ExecRequest => ({
  runId: 'run-test',
  taskId: '1',
  execType: 'local',
  hostname: 'localhost',
  command,
  arguments: args,
  timeoutMs: 60_000,
  ...extra,
});

async function spawnAgent(extra: string[] = []): Promise<AgentProcess> {
  const a = await startAgent(['--listen', '127.0.0.1:0', ...tlsArgs(), ...extra]);
  started.push(a);
  return a;
}

test.before(async () => {
  pki = await createPki();
  agent = await spawnAgent(['--allow-client', 'controller1', '--max-concurrent', '8']);
});

test.after.always(async () => {
  for (const a of started) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

test('runs a command over mutual TLS and returns exit code, stdout and stderr', async (t) => {
  const ex = createAgentExecutor(spec(agent));
  try {
    const r = await ex.execute(req('sh', `-c 'echo out; echo err >&2; exit 3'`));
    t.is(r.exitCode, 3);
    t.is(r.stdout, 'out\n');
    t.is(r.stderr, 'err\n');
    t.false(r.timedOut);
    t.true(typeof r.pid === 'number');
  } finally {
    await ex.close();
  }
});

test('streams output live: the first chunk arrives before the task finishes', async (t) => {
  const ex = createAgentExecutor(spec(agent));
  let done = false;
  const seen: { text: string; doneAtArrival: boolean }[] = [];
  try {
    const p = ex.execute(
      req('sh', `-c 'echo first; read x < /dev/null; sleep 1; echo second'`, {
        onStdout: (c) => seen.push({ text: c.toString(), doneAtArrival: done }),
      }),
    );
    const r = await p.then((x) => ((done = true), x));
    t.is(r.stdout, 'first\nsecond\n');
    t.is(seen[0]!.text, 'first\n');
    t.false(seen[0]!.doneAtArrival);
  } finally {
    await ex.close();
  }
});

test('a timeout on the agent kills the whole process group: no survivor', async (t) => {
  const ex = createAgentExecutor(spec(agent));
  const s = uniqueSleep();
  try {
    const r = await ex.execute(req('sh', `-c 'sleep ${s} & sleep ${s}'`, { timeoutMs: 1000 }));
    t.is(r.exitCode, 124);
    t.true(r.timedOut);
    t.regex(r.stderr, /Process killed after timeout of 1 seconds/);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
  } finally {
    await ex.close();
  }
});

test('cancelling the call kills the process group on the agent', async (t) => {
  const ex = createAgentExecutor(spec(agent));
  const s = uniqueSleep();
  const abort = new AbortController();
  try {
    const r = await ex.execute(
      req('sh', `-c 'sleep ${s} & echo ready; sleep ${s}'`, {
        signal: abort.signal,
        onStdout: (c) => c.toString().includes('ready') && abort.abort('CANCELED'),
      }),
    );
    t.true(r.canceled);
    t.is(r.exitCode, 125);
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
    await eventually(() => agent.log().includes('"outcome":"canceled(CANCELED)"'));
    t.regex(agent.log(), /"outcome":"canceled\(CANCELED\)"/);
  } finally {
    await ex.close();
  }
});

test('health, info and the version check pass for a good agent', async (t) => {
  const ex = createAgentExecutor(spec(agent));
  try {
    t.deepEqual(await checkAgents([ex]), []);
    const info = await ex.probe();
    t.true(info.exec_types.includes('local'));
    t.is(info.max_concurrent, 8);
  } finally {
    await ex.close();
  }
});

test('a client certificate from another CA is refused', async (t) => {
  const problems = await checkAgents([spec(agent, pki.foreign)]);
  t.is(problems.length, 1);
  t.is(problems[0]!.agent, 'agent1');
  t.regex(problems[0]!.message, /agent agent1 .*not reachable/);
  const ex = createAgentExecutor(spec(agent, pki.foreign));
  try {
    const r = await ex.execute(req('echo', 'should-not-run'));
    t.is(r.exitCode, 255);
    t.regex(r.stderr, /agent agent1 .* not reachable/);
    t.is(r.stdout, '');
  } finally {
    await ex.close();
  }
});

test('a client whose certificate name is not in --allow-client gets PERMISSION_DENIED', async (t) => {
  const ex = createAgentExecutor(spec(agent, pki.other));
  try {
    const r = await ex.execute(req('echo', 'should-not-run'));
    t.is(r.exitCode, 255);
    t.regex(r.stderr, /refused the task \(PERMISSION_DENIED\): client `intruder` is not allowed/);
  } finally {
    await ex.close();
  }
});

test('a plaintext client cannot talk to a TLS agent', async (t) => {
  const problems = await checkAgents([{ name: 'plain', kind: 'plain', address: agent.address }]);
  t.is(problems.length, 1);
  t.is(problems[0]!.agent, 'plain');
});

test('bad requests get INVALID_ARGUMENT naming the field', async (t) => {
  const ex = createAgentExecutor(spec(agent));
  try {
    const unknown = await ex.execute(req('echo', 'x', { execType: 'nosuch' }));
    t.regex(unknown.stderr, /INVALID_ARGUMENT\): exec_type: unknown exec type `nosuch`/);
    const empty = await ex.execute(req('  ', 'x'));
    t.regex(empty.stderr, /INVALID_ARGUMENT\): command must not be empty/);
    const quote = await ex.execute(req('echo', `'unterminated`));
    t.regex(quote.stderr, /INVALID_ARGUMENT\): arguments: unterminated single quote/);
    const timeout = await ex.execute(req('echo', 'x', { timeoutMs: 10 * 24 * 3600_000 }));
    t.regex(timeout.stderr, /INVALID_ARGUMENT\): timeout_ms must be/);
    for (const r of [unknown, empty, quote, timeout]) t.is(r.exitCode, 255);
  } finally {
    await ex.close();
  }
});

test('without TLS the agent refuses a non-loopback listen address (exit 2)', async (t) => {
  const r = await runAgentCli(['serve', '--listen', '0.0.0.0:0']);
  t.is(r.code, 2);
  t.regex(r.stderr, /refusing to listen on 0\.0\.0\.0:0 without TLS: plaintext TCP is never allowed off loopback/);
});

test('--allow-exec restricts exec types', async (t) => {
  const a = await spawnAgent(['--allow-exec', 'shell']);
  const ex = createAgentExecutor(spec(a));
  try {
    const denied = await ex.execute(req('echo', 'x'));
    t.regex(denied.stderr, /PERMISSION_DENIED\): exec_type `local` is not allowed on this agent \(allowed: shell\)/);
    const ok = await ex.execute(req('echo', 'fine', { execType: 'shell' }));
    t.is(ok.stdout, 'fine\n');
  } finally {
    await ex.close();
    await a.stop();
  }
});

test('concurrency limit: runs N, queues M, refuses the rest with RESOURCE_EXHAUSTED', async (t) => {
  const a = await spawnAgent(['--max-concurrent', '1', '--max-queue', '1']);
  const ex = createAgentExecutor(spec(a));
  const s = uniqueSleep();
  const abort = new AbortController();
  try {
    let ready = false;
    const first = ex.execute(req('sh', `-c 'echo ready; sleep ${s}'`, { signal: abort.signal, onStdout: () => (ready = true) }));
    await eventually(() => ready);
    const second = ex.execute(req('echo', 'second', { signal: abort.signal }));
    await eventually(async () => (await ex.probe()).queued === 1);
    const third = await ex.execute(req('echo', 'third'));
    t.is(third.exitCode, 255);
    t.regex(third.stderr, /RESOURCE_EXHAUSTED\): agent busy: 1 tasks running and 1 queued \(--max-concurrent 1, --max-queue 1\)/);
    abort.abort('CANCELED');
    const [r1, r2] = await Promise.all([first, second]);
    t.true(r1.canceled);
    t.true(r2.canceled);
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
  } finally {
    await ex.close();
    await a.stop();
  }
});

test('SIGTERM drains: running work finishes, new work is refused, exit 0', async (t) => {
  const a = await spawnAgent();
  const ex = createAgentExecutor(spec(a));
  try {
    let ready = false;
    const running = ex.execute(req('sh', `-c 'echo ready; sleep 1; echo finished'`, { onStdout: () => (ready = true) }));
    await eventually(() => ready);
    a.child.kill('SIGTERM');
    await eventually(() => a.log().includes('"message":"draining"'));
    const refused = await ex.execute(req('echo', 'late'));
    t.is(refused.exitCode, 255);
    t.regex(refused.stderr, /UNAVAILABLE|shutting down|not reachable/);
    t.notRegex(refused.stdout, /late/);
    const r = await running;
    t.is(r.exitCode, 0);
    t.is(r.stdout, 'ready\nfinished\n');
    t.is(await a.exited, 0);
  } finally {
    await ex.close();
  }
});

test('SIGTERM drain deadline cancels what is still running, leaves no survivor, exits 0', async (t) => {
  const a = await spawnAgent(['--drain-timeout', '1']);
  const ex = createAgentExecutor(spec(a));
  const s = uniqueSleep();
  try {
    let ready = false;
    const running = ex.execute(req('sh', `-c 'sleep ${s} & echo ready; sleep ${s}'`, { onStdout: () => (ready = true) }));
    await eventually(() => ready);
    a.child.kill('SIGTERM');
    const r = await running;
    t.true(r.canceled);
    t.is(await a.exited, 0);
    t.regex(a.log(), /AGENT_SHUTDOWN/);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
  } finally {
    await ex.close();
  }
});

test('an agent killed with SIGKILL mid-task fails that task promptly with exit 255', async (t) => {
  const a = await spawnAgent();
  const ex = createAgentExecutor(spec(a));
  const s = uniqueSleep();
  try {
    let ready = false;
    // A one-hour timeout: the result can only come from noticing the lost agent.
    const running = ex.execute(req('sh', `-c 'echo ready; exec sleep ${s}'`, { timeoutMs: 3600_000, onStdout: () => (ready = true) }));
    await eventually(() => ready);
    a.child.kill('SIGKILL');
    const r = await running;
    t.is(r.exitCode, 255);
    t.regex(r.stderr, /tasker: agent agent1 \(127\.0\.0\.1:\d+, mTLS\) lost during the task \(remote pid \d+\)/);
    t.is(r.stdout, 'ready\n');
    // The killed agent could not clean up; its child is in its own group (systemd's cgroup would kill it).
    for (const pid of processesMatching(`sleep ${s}`)) killIfAlive(pid);
  } finally {
    await ex.close();
  }
});

for (const way of ['execute', 'session'] as const) test(`a controller that disappears (SIGKILL) mid-task: the agent kills the process group (${way})`, async (t) => {
  const s = uniqueSleep();
  const client = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'helpers', 'one-task-client.ts'), agent.address, pki.ca, pki.controller.cert, pki.controller.key,
      'sh', `-c 'sleep ${s} & echo ready; sleep ${s}'`, way],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => client.once('exit', r));
  await new Promise<void>((resolve) => client.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  client.kill('SIGKILL');
  await exited;
  await eventually(() => processesMatching(`sleep ${s}`).length === 0);
  t.deepEqual(processesMatching(`sleep ${s}`), []);
  await eventually(() => agent.log().includes('"outcome":"canceled(CANCELED)"'));
  if (way === 'session') await eventually(() => agent.log().includes('"message":"session closed"'));
});
