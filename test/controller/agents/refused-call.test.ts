/**
 * Calls the agent refuses (here UNAVAILABLE from a draining agent) do not cost the call still
 * running on the same connection, whether the tasks go as Execute calls or on the Session.
 */
import test from 'ava';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentExecutor } from '../../../controller/executors/agent-executor.js';
import type { ExecRequest } from '../../../shared/exec/executor.js';
import { eventually, startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const started: AgentProcess[] = [];
test.after.always(async () => {
  for (const a of started) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
});

for (const session of [false, true]) {
  test(`tasks refused by a draining agent leave the running task alone (${session ? 'Session' : 'Execute calls'})`, async (t) => {
    const a = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback', '--drain-timeout', '60']);
    started.push(a);
    const ex = createAgentExecutor({ name: 'draining', kind: 'plain', address: a.address }, { session });
    const go = join(mkdtempSync(join(tmpdir(), 'tasker-refused-')), 'go');
    const task = (taskId: string, command: string, args: string, extra: Partial<ExecRequest> = {}) =>
      ex.execute({ runId: 'refused', taskId, execType: 'local', hostname: 'localhost', command, arguments: args, timeoutMs: 60_000, ...extra });
    try {
      await ex.probe();
      let ready = false;
      const running = task('running', 'sh', `-c 'echo ready; while [ ! -e ${go} ]; do sleep 0.05; done; echo done'`, { onStdout: () => (ready = true) });
      await eventually(() => ready);
      a.child.kill('SIGTERM');
      await eventually(() => a.log().includes('"message":"draining"'));
      for (const id of ['late1', 'late2']) {
        const late = await task(id, 'echo', id);
        t.is(late.exitCode, 255, id);
        t.regex(late.stderr, /UNAVAILABLE: .*draining/, id);
      }
      t.false(existsSync(go));
      writeFileSync(go, '');
      const r = await running;
      t.is(r.exitCode, 0, r.stderr);
      t.is(r.stdout, 'ready\ndone\n');
    } finally {
      await ex.close();
    }
  });
}
