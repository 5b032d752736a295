/**
 * A call paused by the controller (its captures are held) while the agent finishes: every message
 * still arrives, in order, before the call ends. grpc-js reports the call's status as soon as it
 * arrives, while the paused call still holds messages.
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAgentConnection } from '../../../controller/agents/index.js';
import { eventually, processesMatching, startAgent, type AgentProcess } from '../../helpers/agent-process.js';

let agent: AgentProcess;
test.before(async () => {
  agent = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback']);
});
test.after.always(async () => {
  await agent?.stop();
});

test('an Execute call paused until after the agent finished still delivers every message before it ends', async (t) => {
  const conn = await openAgentConnection({ name: 'paused', kind: 'plain', address: agent.address });
  // A short sleep with a unique argument: the task's shell and sleeps are found by it.
  const marker = `0.3${String(Date.now() % 100000).padStart(5, '0')}${process.pid % 10}`;
  try {
    const call = conn.client.serverStream(
      conn.methods.execute,
      {
        run_id: 'paused', task_id: '1', exec_type: 'local', hostname: 'localhost', command: 'sh',
        arguments: `-c 'echo 1; sleep ${marker}; echo 2; sleep ${marker}; echo 3'`, timeout_ms: 60_000, output_cap: 0,
      },
      Date.now() + 60_000,
    );
    const events: string[] = [];
    let paused = false;
    const ended = new Promise<void>((resolve, reject) => {
      call.on('data', (e) => {
        events.push(e.event === 'stdout' ? e.stdout!.toString() : e.event!);
        if (e.event === 'stdout' && !paused) {
          paused = true;
          call.pause();
        }
      });
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    await eventually(() => paused);
    // The program ends while the call is paused; then the status reaches the controller too.
    await eventually(() => processesMatching(marker).length === 0);
    await sleep(500);
    call.resume();
    await ended;
    t.deepEqual(events.filter((e) => e !== 'started'), ['1\n', '2\n', '3\n', 'finished']);
  } finally {
    await conn.close();
  }
});
