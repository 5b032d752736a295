import test from 'ava';
import { type AgentSpec } from '../../../controller/agents/index.js';
import { checkAgents } from '../../../controller/executors/check-agents.js';
import { createAgentExecutor } from '../../../controller/executors/agent-executor.js';
import type { ExecRequest } from '../../../shared/exec/executor.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { eventually, freshSocket, processesMatching, startAgent, uniqueSleep, type AgentProcess } from '../../helpers/agent-process.js';

let sshd: TestSshd;
let agent: AgentProcess;

const req = (command: string, args: string, extra: Partial<ExecRequest> = {}): ExecRequest => ({
  runId: 'run-tunnel',
  taskId: '1',
  execType: 'local',
  hostname: 'localhost',
  command,
  arguments: args,
  timeoutMs: 60_000,
  ...extra,
});
const spec = (): AgentSpec => ({
  name: 'jump2',
  kind: 'ssh',
  ssh: { host: '127.0.0.1', port: sshd.port, user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts },
  port: agent.port,
});

test.before(async () => {
  sshd = await startSshd();
  agent = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback']);
});

test.after.always(async () => {
  await agent?.stop();
  await sshd?.stop();
});

test('an agent on loopback is reached through an SSH tunnel: check, run, stream', async (t) => {
  const ex = createAgentExecutor(spec());
  try {
    t.deepEqual(await checkAgents([ex]), []);
    const chunks: string[] = [];
    const r = await ex.execute(req('sh', `-c 'echo through; echo tunnel >&2; exit 4'`, { onStdout: (c) => chunks.push(c.toString()) }));
    t.is(r.exitCode, 4);
    t.is(r.stdout, 'through\n');
    t.is(r.stderr, 'tunnel\n');
    t.deepEqual(chunks, ['through\n']);
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => ex.execute(req('echo', `t${i}`))));
    t.deepEqual(many.map((x) => x.stdout), Array.from({ length: 10 }, (_, i) => `t${i}\n`));
  } finally {
    await ex.close();
  }
});

test('a timeout through the tunnel leaves no survivor on the agent host', async (t) => {
  const ex = createAgentExecutor(spec());
  const s = uniqueSleep();
  try {
    const r = await ex.execute(req('sh', `-c 'sleep ${s} & sleep ${s}'`, { timeoutMs: 1000 }));
    t.is(r.exitCode, 124);
    t.true(r.timedOut);
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
    t.deepEqual(processesMatching(`sleep ${s}`), []);
  } finally {
    await ex.close();
  }
});

test('host checks run on the agent', async (t) => {
  const ex = createAgentExecutor(spec());
  try {
    const results = await ex.checkHosts(
      [
        { hostname: 'localhost', execType: 'pbrun' },
        { hostname: 'no-such-host.invalid', execType: 'pbrun' },
      ],
      false,
    );
    t.true(results[0]!.ok, results[0]!.problems.join('; '));
    t.false(results[1]!.ok);
    t.regex(results[1]!.problems[0]!, /cannot resolve 'no-such-host\.invalid'/);
  } finally {
    await ex.close();
  }
});

test('an unreachable SSH host or agent port is a named problem before the run', async (t) => {
  const wrongPort: AgentSpec = { ...spec(), port: 1 } as AgentSpec;
  const problems = await checkAgents([wrongPort]);
  t.is(problems.length, 1);
  t.is(problems[0]!.agent, 'jump2');
  t.regex(problems[0]!.message, /agent jump2 \(ssh .* → 127\.0\.0\.1:1\): not reachable/);
});

test('through SSH to an agent\'s Unix socket (streamlocal): runs; a socket path with no agent is named', async (t) => {
  const unixAgent = await startAgent(['--listen', await freshSocket()]);
  const ssh = spec().ssh;
  const socket = unixAgent.address.slice('unix:'.length);
  const ex = createAgentExecutor({ name: 'jump2', kind: 'ssh', ssh, socket });
  try {
    t.deepEqual(await checkAgents([ex]), []);
    const r = await ex.execute(req('echo', 'through the socket'));
    t.is(r.stdout, 'through the socket\n');
  } finally {
    await ex.close();
    await unixAgent.stop();
  }
  const [gone] = await checkAgents([{ name: 'jump2', kind: 'ssh', ssh, socket }]);
  t.regex(gone!.message, new RegExp(`agent jump2 \\(ssh .* → unix:${socket}\\): not reachable: the SSH server could not open unix:${socket}: `));
});
