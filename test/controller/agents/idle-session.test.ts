/**
 * An idle connection to an agent never keeps the controller alive: a process that ran tasks on an
 * agent's Session (and on Execute calls) and then neither closes its executor nor exits on purpose
 * ends by itself. grpc-js keeps the process alive while any call is open; the Session ends its
 * stream when idle.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const started: AgentProcess[] = [];
test.after.always(async () => {
  for (const a of started) await a.stop();
});

const index = fileURLToPath(new URL('../../../controller/executors/agent-executor.ts', import.meta.url));

/** Runs `tasks` tasks on the agent in a child controller that never closes; its exit code, or 'alive'. */
function runAndLeave(address: string, session: boolean): Promise<number | 'alive'> {
  const script = `
    const { createAgentExecutor } = await import(${JSON.stringify(index)});
    const ex = createAgentExecutor({ name: 'idle', kind: 'plain', address: ${JSON.stringify(address)} }, { session: ${session} });
    await ex.probe();
    for (const text of ['one', 'two']) {
      const r = await ex.execute({ runId: 'idle', taskId: text, execType: 'local', hostname: 'localhost', command: 'echo', arguments: text, timeoutMs: 10_000 });
      if (r.stdout !== text + '\\n') process.exit(3);
    }
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
  return new Promise((resolve) => {
    // Far beyond any idle delay: a process still running then is kept alive by the connection.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('alive');
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

for (const session of [true, false]) {
  test(`a controller that leaves its agent connection open exits by itself (${session ? 'Session' : 'Execute calls'})`, async (t) => {
    const a = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback']);
    started.push(a);
    t.is(await runAndLeave(a.address, session), 0);
  });
}
