import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentExecutor } from '../../controller/executors/agent-executor.js';
import { plainSpec, runAgentCli, startAgent, type AgentProcess } from '../helpers/agent-process.js';

let dir: string;
let agent: AgentProcess | undefined;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tasker-agent-config-'));
});
test.after.always(async () => {
  await agent?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('--config: agent section and the shared exec_types templates are used', async (t) => {
  const cfg = join(dir, 'agent.yaml');
  const fakePbrun = join(dir, 'fake-pbrun');
  await writeFile(fakePbrun, '#!/bin/sh\nprintf "[%s]" "$@"\n', { mode: 0o755 });
  await writeFile(
    cfg,
    ['agent:', `  listen: unix:${join(dir, 'sock', 'agent.sock')}`, '  max_concurrent: 3', '  allow_exec: [pbrun, local]', 'exec_types:', '  pbrun:', `    binary: ${fakePbrun}`, ''].join('\n'),
  );
  agent = await startAgent(['--config', cfg]);
  t.is(agent.address, `unix:${join(dir, 'sock', 'agent.sock')}`);
  const ex = createAgentExecutor(plainSpec(agent, 'cfg'));
  try {
    const info = await ex.probe();
    t.is(info.max_concurrent, 3);
    t.deepEqual([...info.exec_types].sort(), ['local', 'pbrun']);
    const r = await ex.execute({
      runId: 'cfg', taskId: '1', execType: 'pbrun', hostname: 'web01', command: 'systemctl', arguments: "status 'my unit'", timeoutMs: 10_000,
    });
    t.is(r.exitCode, 0);
    t.is(r.stdout, '[-n][-h][web01][systemctl][status][my unit]');
  } finally {
    await ex.close();
  }
});

test('--config errors are reported with the file position, exit 2', async (t) => {
  const cfg = join(dir, 'bad.yaml');
  await writeFile(cfg, 'agent:\n  listen: 127.0.0.1:0\nexec_types:\n  pbrun:\n    template: 5\n');
  const r = await runAgentCli(['serve', '--config', cfg]);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad\.yaml:5:\d+: error/);
});

test('usage errors name the option', async (t) => {
  const r = await runAgentCli(['serve', '--listen', '127.0.0.1:0', '--max-concurrent', 'many']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--max-concurrent must be a whole number from 1 to 10000, got `many`/);
  const tls = await runAgentCli(['serve', '--listen', '127.0.0.1:0', '--tls-ca', '/x']);
  t.regex(tls.stderr, /--tls-ca, --tls-cert and --tls-key must be given together/);
});
