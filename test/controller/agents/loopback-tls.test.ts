// Built bin: where a task ran is told by its process ancestry (the agent's or tasker's own process).
/**
 * A TLS agent on loopback reached ad hoc (issue 15, item 2): `tasker --agent 127.0.0.1:PORT` (and
 * TASK_EXECUTOR_AGENT) uses the config's agent_tls also on loopback, so the task runs on the agent.
 * The agent's host checks take `user@host:port` on its host part, as the controller's do.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTasker, tempDir } from '../../helpers/run-cli.js';
import { createAgentExecutor } from '../../../controller/executors/agent-executor.js';
import { createPki, startAgent, type AgentProcess, type TestPki } from '../../helpers/agent-process.js';

let pki: TestPki;
let agent: AgentProcess;
test.before(async () => {
  pki = await createPki(); // agent certificate names 127.0.0.1 and localhost
  agent = await startAgent(['--listen', '127.0.0.1:0', '--tls-ca', pki.ca, '--tls-cert', pki.agent.cert, '--tls-key', pki.agent.key]);
});
test.after.always(async () => {
  await agent?.stop();
});

async function run(config: string, extra: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir('tasker-loopback-tls-');
  writeFileSync(join(dir, 'tasker.yaml'), config);
  // The task prints its ancestors' pids: the agent's when it ran there, tasker's when it ran locally.
  writeFileSync(join(dir, 'ancestors.sh'), 'p=$PPID; while [ "$p" -gt 1 ]; do echo "$p"; p=$(cut -d" " -f4 /proc/$p/stat); done\n');
  writeFileSync(join(dir, 'f.txt'), `task=0\nhostname=localhost\nexec=local\ncommand=sh\narguments=${join(dir, 'ancestors.sh')}\n`);
  const r = await spawnTasker(['-r', '--config', 'tasker.yaml', '-l', join(dir, 'logs'), '--output-json', 'o.json', ...extra, 'f.txt'], { cwd: dir, env });
  const json = r.code === 0 ? (JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { task_results: Record<string, { stdout: string }> }) : undefined;
  const ancestors = (json?.task_results['0']?.stdout ?? '').split('\n').filter(Boolean).map(Number);
  return { code: r.code, out: r.stdout + r.stderr, ancestors, taskerPid: r.pid };
}

const agentTls = () => `agent_tls: {ca: "${pki.ca}", cert: "${pki.controller.cert}", key: "${pki.controller.key}"}\n`;

test('--agent 127.0.0.1:PORT with agent_tls runs the task on the TLS agent', async (t) => {
  for (const address of [`127.0.0.1:${agent.port}`, `localhost:${agent.port}`]) {
    const r = await run(agentTls(), ['--agent', address]);
    t.is(r.code, 0, r.out);
    t.regex(r.out, new RegExp(`Agent ${address}: ready`));
    t.true(r.ancestors.includes(agent.child.pid), `ran under the agent: ${r.ancestors.join(' ')}`);
    t.false(r.ancestors.includes(r.taskerPid));
  }
});

test('TASK_EXECUTOR_AGENT=127.0.0.1:PORT with agent_tls does the same', async (t) => {
  const r = await run(agentTls(), [], { TASK_EXECUTOR_AGENT: `127.0.0.1:${agent.port}` });
  t.is(r.code, 0, r.out);
  t.true(r.ancestors.includes(agent.child.pid), `ran under the agent: ${r.ancestors.join(' ')}`);
  t.false(r.ancestors.includes(r.taskerPid));
});

test('without agent_tls, a loopback address is dialled in plaintext and the failure says how to fix it', async (t) => {
  const r = await run('{}\n', ['--agent', `127.0.0.1:${agent.port}`]);
  t.is(r.code, 21, r.out);
  t.regex(r.out, /agent 127\.0\.0\.1:\d+ \(plaintext loopback\): not reachable: the agent closed the plaintext connection without answering: it probably serves mutual TLS; .*agent_tls \{ca, cert, key\}/);
  t.notRegex(r.out, /\n\s+at /);
});

test('host checks on the agent validate user@host:port on the host part', async (t) => {
  const ex = createAgentExecutor({ name: 'tls-loop', kind: 'tls', address: `127.0.0.1:${agent.port}`, tls: { ca: pki.ca, cert: pki.controller.cert, key: pki.controller.key } });
  try {
    const results = await ex.checkHosts(
      [
        { hostname: 'ops@127.0.0.1:2222', execType: 'pbrun' },
        { hostname: 'ops@[::1]:22', execType: 'p7s' },
        { hostname: 'ops@no-such-host.invalid:22', execType: 'pbrun' },
        { hostname: 'web01:99999', execType: 'pbrun' },
      ],
      false,
    );
    t.deepEqual(results.map((r) => [r.hostname, r.ok]), [
      ['ops@127.0.0.1:2222', true],
      ['ops@[::1]:22', true],
      ['ops@no-such-host.invalid:22', false],
      ['web01:99999', false],
    ]);
    t.regex(results[2]!.problems[0]!, /^cannot resolve 'no-such-host\.invalid': /);
    t.is(results[3]!.problems[0], "port '99999' in 'web01:99999' must be 1-65535");
  } finally {
    await ex.close();
  }
});
