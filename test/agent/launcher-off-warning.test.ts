/**
 * `tasker-agent serve` with TASKER_LAUNCHER=off says at start, in one line, what Node's spawn does
 * not guarantee (issue 13, item 7): double-forked daemons of a killed task are not found.
 */
import test from 'ava';
import { freshSocket, startAgent } from '../helpers/agent-process.js';

test('the agent warns once at start that TASKER_LAUNCHER=off does not kill double-forked daemons', async (t) => {
  process.env.TASKER_LAUNCHER = 'off'; // inherited by the agent process (this file runs alone in its process)
  const agent = await startAgent(['--listen', await freshSocket(), '--log-level', 'warn']);
  try {
    // The line follows "listening on" at once; wait for it rather than for a time.
    for (let i = 0; i < 200 && !agent.log().includes('\n'); i++) await new Promise((r) => setTimeout(r, 25));
    const lines = agent.log().split('\n').filter((l) => l.includes('TASKER_LAUNCHER'));
    t.deepEqual(lines, [
      "tasker-agent serve: warning: TASKER_LAUNCHER=off: tasks start with Node's spawn, so a process that leaves a task's process group and whose parent has exited (a double-forked daemon) is not killed on timeout, cancel or stop, nor when this process is killed",
    ]);
  } finally {
    await agent.stop();
  }
});
