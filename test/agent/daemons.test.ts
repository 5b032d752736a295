/**
 * The agent kills a task's whole tree too (issue 13, item 7): a real `tasker-agent serve` runs a
 * task that starts setsid and double-forked daemons; when the task times out on the agent, or the
 * controller cancels the call, every one of them is gone.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { Finished__Output } from '../../shared/proto/generated/tasker/agent/v1/Finished.js';
import { loadProtos } from '../../shared/proto/load-proto.js';
import { ALL_DAEMONS, START_DAEMONS, killAll, readDaemons } from '../helpers/daemons.js';
import { survivors } from '../helpers/group-members.js';
import { eventually, freshSocket, startAgent, type AgentProcess } from '../helpers/agent-process.js';

const scratch = mkdtempSync(join(tmpdir(), 'tasker-agent-daemons-'));
const started = new Set<number>();
let agent: AgentProcess;

test.before(async () => {
  agent = await startAgent(['--listen', await freshSocket(), '--log-level', 'warn']);
});
test.after.always(async () => {
  await agent?.stop();
  killAll(started);
  rmSync(scratch, { recursive: true, force: true });
});

/** Execute start-daemons on the agent; resolves the Finished event (undefined when the call ended without one). */
async function execute(dir: string, timeoutMs: number, onStarted?: (cancel: () => void) => void): Promise<Finished__Output | undefined> {
  const [grpc, protos] = await Promise.all([import('@grpc/grpc-js'), loadProtos()]);
  const client = new protos.agent.tasker.agent.v1.Agent(agent.address, grpc.credentials.createInsecure());
  const call = client.Execute(
    { run_id: 'daemons', task_id: '1', exec_type: 'local', hostname: 'localhost', command: START_DAEMONS, arguments: `${dir} sleep`, timeout_ms: timeoutMs, output_cap: 0 },
    { deadline: Date.now() + 120_000 },
  );
  let finished: Finished__Output | undefined;
  call.on('data', (ev: ExecuteEvent__Output) => {
    if (ev.event === 'started') onStarted?.(() => call.cancel());
    if (ev.event === 'finished') finished = ev.finished!;
  });
  await new Promise<void>((resolve) => {
    call.on('end', resolve);
    call.on('error', () => resolve());
  });
  client.close();
  return finished;
}

test.serial('a task timed out on the agent leaves no survivor, setsid and double-forked daemons included', async (t) => {
  const dir = mkdtempSync(join(scratch, 'timeout-'));
  const finished = execute(dir, 4000);
  const pids = await readDaemons(dir, ALL_DAEMONS);
  t.truthy(pids, 'the task started its daemons');
  for (const p of pids!.values()) started.add(p);
  t.true((await finished)?.timed_out, 'the agent reports the timeout');
  t.deepEqual(await survivors([...pids!.values()], 10_000), []);
});

test.serial('a task whose call the controller cancels leaves no survivor, setsid and double-forked daemons included', async (t) => {
  const dir = mkdtempSync(join(scratch, 'cancel-'));
  let cancel: (() => void) | undefined;
  const ended = execute(dir, 0, (c) => (cancel = c));
  const pids = await readDaemons(dir, ALL_DAEMONS);
  t.truthy(pids, 'the task started its daemons');
  for (const p of pids!.values()) started.add(p);
  // The daemons can be seen before the agent's \`started\` event reaches this client (CI's clean
  // run of 5af42d6 did): wait for it, as a controller cancels only a call it knows started.
  await eventually(() => cancel !== undefined);
  cancel!();
  await ended;
  t.deepEqual(await survivors([...pids!.values()], 10_000), []);
});
