/**
 * A retried task that runs on an agent retries on the agent (issue 15, item 5): every attempt is
 * a call of its own to the same agent, named by its attempt in the agent's log.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_BIN, tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { eventually, freshSocket, startAgent, type AgentProcess } from '../../helpers/agent-process.js';

/** One agent for the file; the tests run serially so that its log reads in order. */
let agent: AgentProcess;

test.before(async () => {
  agent = await startAgent(['--listen', await freshSocket()]);
});
test.after.always(async () => {
  await agent?.stop();
});

/** The agent's `execute done` log entries, in order. */
function agentEntries(): { taskId: string; after?: string }[] {
  return agent.log().split('\n').filter((l) => l.includes('"execute done"')).map((l) => JSON.parse(l) as { taskId: string; after?: string });
}
const agentCalls = (): string[] => agentEntries().map((e) => e.taskId);

test.serial('a flaky task run through --agent succeeds on its third attempt, each attempt an agent call', async (t) => {
  const dir = tempDir('tasker-retry-agent-');
  const state = join(dir, 'n');
  writeFileSync(join(dir, 'f.txt'), [
    'task=0', 'hostname=localhost', 'exec=local', `command=${join(FIXTURE_BIN, 'fail-until')}`, `arguments=${state} 3`,
    'retry_count=3', 'retry_delay=0.1', 'retry_backoff=2', '',
    'task=1', 'hostname=localhost', 'exec=local', 'command=echo', 'arguments=@0_stdout@', '',
  ].join('\n'));
  const before = agentCalls().length;
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'base'), '--output-json', 'o.json', '--agent', agent.address], { cwd: dir });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(readFileSync(state, 'utf8').trim(), '3');
  // The agent logs each call just after answering it.
  await eventually(() => agentCalls().length >= before + 4);
  t.deepEqual(agentCalls().slice(before), ['0 attempt 1/4', '0 attempt 2/4', '0 attempt 3/4', '1']);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { task_results: Record<string, { stdout: string; attempts?: { success: boolean; delay_before_seconds?: number }[] }> };
  t.deepEqual(json.task_results['0']!.attempts!.map((a) => [a.success, a.delay_before_seconds]), [[false, undefined], [false, 0.1], [true, 0.2]]);
  t.is(json.task_results['1']!.stdout, 'run 3\n');
  t.regex(r.stdout, /Task 0: succeeded on attempt 3\/4/);
});

test.serial('a retried task sent ahead to the agent (pipelined after the one before) still retries there', async (t) => {
  const dir = tempDir('tasker-retry-agent-');
  const state = join(dir, 'n');
  writeFileSync(join(dir, 'f.txt'), [
    'task=0', 'hostname=localhost', 'exec=local', 'command=echo', 'arguments=first', '',
    'task=1', 'hostname=localhost', 'exec=local', `command=${join(FIXTURE_BIN, 'fail-until')}`, `arguments=${state} 2`,
    'retry_count=2', 'retry_delay=0', '',
  ].join('\n'));
  const before = agentCalls().length;
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'base'), '--agent', agent.address], { cwd: dir });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(readFileSync(state, 'utf8').trim(), '2');
  await eventually(() => agentCalls().length >= before + 3);
  t.deepEqual(agentCalls().slice(before), ['0', '1 attempt 1/3', '1 attempt 2/3']);
  const [first, second] = agentEntries().slice(before + 1);
  t.truthy(first!.after, 'attempt 1 was sent ahead, to start after task 0');
  t.falsy(second!.after, 'attempt 2 was sent on its own after the wait');
  t.regex(r.stdout, /Task 1: succeeded on attempt 2\/3/);
});
