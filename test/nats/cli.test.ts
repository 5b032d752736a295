/** The real CLIs: `tasker-agent serve --nats` and `parallelr … --nats/--pool/--resume`. */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type TestNatsServer } from '../helpers/nats-server.js';
import { ROOT, readResults, runParallelr, waitFor } from './fleet.js';

const AGENT_CLI = join(ROOT, 'agent/cli/tasker-agent.ts');

let server: TestNatsServer;
const agents: ReturnType<typeof spawn>[] = [];
test.before(async () => {
  server = await startNatsServer();
});
test.after.always(async () => {
  for (const a of agents) if (a.exitCode === null) a.kill('SIGKILL');
  await server.dispose();
});

test.serial('tasker-agent serve --nats (no --listen) and parallelr --nats --pool run a directory; --resume re-reads the run', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tasker-nats-cli-'));
  const tasks = join(home, 'tasks');
  (await import('node:fs')).mkdirSync(tasks);
  for (let i = 1; i <= 8; i++) writeFileSync(join(tasks, `t${i}.sh`), `echo task ${i}\n`);
  const env = { HOME: home, PARALLELR_HOME: join(home, 'parallelr'), TASKER_NATS_ACK_WAIT: '2', TASKER_NATS_STATE_DIR: join(home, 'runs') };
  const agent = spawn(process.execPath, ['--import', 'tsx', AGENT_CLI, 'serve', '--nats', server.url, '--pool', 'cli', '--max', '2'], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  agents.push(agent);
  let agentErr = '';
  agent.stderr!.on('data', (d) => (agentErr += d));
  await waitFor(() => /nats worker started/.test(agentErr) || agent.exitCode !== null);
  t.is(agent.exitCode, null, agentErr);

  const results = join(home, 'results.jsonl');
  const r = await runParallelr(['-T', tasks, '-C', '/bin/sh @TASK@', '-r', '--nats', server.url, '--pool', 'cli', '--results', results], env);
  t.is(r.code, 0, r.err + r.out);
  const records = readResults(results);
  t.is(records.length, 8);
  t.true(records.every((x) => x.status === 'SUCCESS' && typeof x.agent === 'string' && x.agent.length > 0));
  const runId = /Distributed run (\S+):/.exec(r.out)?.[1];
  t.truthy(runId, r.out);

  const again = await runParallelr(['--resume', runId!], env);
  t.is(again.code, 0, again.err);
  t.regex(again.out, /already finished/);
  t.is(readResults(results).length, 8);

  agent.kill('SIGTERM');
  const code = await new Promise((res) => agent.once('exit', res));
  t.is(code, 0);
});

test.serial('parallelr --nats with an unreachable server: one line naming the URL', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tasker-nats-cli-'));
  writeFileSync(join(home, 't.sh'), 'true\n');
  const r = await runParallelr(['-T', join(home, 't.sh'), '-C', '/bin/sh @TASK@', '-r', '--nats', 'nats://127.0.0.1:1'], { HOME: home, PARALLELR_HOME: join(home, 'p') });
  t.is(r.code, 1);
  t.regex(r.err, /^parallelr: cannot reach NATS at nats:\/\/127\.0\.0\.1:1: /m);
  t.notRegex(r.err, /\n\s+at /);
});

test.serial('parallelr --nats-replicas out of range: one line naming the option, the value and the range', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tasker-nats-cli-'));
  writeFileSync(join(home, 't.sh'), 'true\n');
  const r = await runParallelr(['-T', join(home, 't.sh'), '-C', '/bin/sh @TASK@', '-r', '--nats', server.url, '--nats-replicas', '9'], { HOME: home, PARALLELR_HOME: join(home, 'p') });
  t.is(r.code, 1);
  t.is(r.err, 'parallelr: --nats-replicas must be a whole number of stream replicas from 1 to 5 (3 for a 3-node cluster), got `9`\n');
});
