/**
 * Every kind of task runs where its agent says (issue 15 item 1): `--agent`, a block's `agent=`,
 * TASK_EXECUTOR_AGENT and config `default_agent` reach `hostnames=` sub-tasks, `tasks=` sub-tasks,
 * conditional branches and loop iterations. Proof is on the agent's side: the real agent process
 * was started with AGENT_MARK=on-agent (its tasks inherit it; the controller's tasks see it empty),
 * and its own log records an Execute for each task id.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { freshSocket, startAgent, type AgentProcess } from '../../helpers/agent-process.js';

interface Json {
  workflow_metadata: { status: string; exit_code: number };
  task_results: Record<string, { stdout: string; exit_code: number; success: boolean; hostname: string }>;
  hosts: Record<string, { ok: number; failed: number; skipped: number; timed_out: number; unreachable: number; ran_on: string[] }>;
}

let agent: AgentProcess;
let config: string;
const dir = tempDir('tasker-placement-');

test.before(async () => {
  agent = await startAgent(['--listen', await freshSocket()], { env: { AGENT_MARK: 'on-agent' } });
  config = join(dir, 'tasker.yaml');
  writeFileSync(config, `agents:\n  jump1:\n    address: "${agent.address}"\n`);
});

test.after.always(async () => {
  await agent?.stop();
});

const printMark = ['command=printenv', 'arguments=AGENT_MARK', 'exec=local'];

/** A task file: `hostname=web01` task 0 (local unless told), then a hostnames= block. */
function fanOutFile(blockExtra: string[] = []): string {
  return [
    'task=0', 'hostname=web00', ...printMark, '',
    'task=1', 'type=parallel', 'hostnames=web01,web02,web03', ...printMark, ...blockExtra, '',
  ].join('\n');
}

async function run(name: string, text: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}, configFile = config): Promise<{ code: number | null; json: Json; out: string }> {
  const sub = tempDir('tasker-placement-run-');
  writeFileSync(join(sub, name), text);
  // The controller's own tasks see AGENT_MARK empty: only the agent's children see `on-agent`.
  const r = await runTaskerInProcess(['-r', name, '-l', join(sub, 'logs'), '--output-json', 'o.json', '--config', configFile, ...extra], { cwd: sub, env: { AGENT_MARK: '', ...env } });
  return { code: r.code, json: JSON.parse(readFileSync(join(sub, 'o.json'), 'utf8')) as Json, out: r.stdout + r.stderr };
}

/** The task ids the agent's own log says it executed (its `execute done` lines). */
function agentRan(): Set<string> {
  const ids = new Set<string>();
  for (const line of agent.log().split('\n')) {
    if (!line.includes('execute done')) continue;
    const m = /"taskId":"([^"]+)"/.exec(line);
    if (m) ids.add(m[1]!);
  }
  return ids;
}

/**
 * agentRan() once it names every one of `ids`, or after 10 s: the agent logs `execute done` after
 * its reply went out, and its log reaches this process through a pipe, so it can trail the run's end.
 */
async function agentRanIncluding(ids: readonly string[]): Promise<Set<string>> {
  for (const end = Date.now() + 10_000; ; await delay(50)) {
    const ran = agentRan();
    if (ids.every((id) => ran.has(id)) || Date.now() > end) return ran;
  }
}

const fanOutIds = ['1-110000', '1-110001', '1-110002'];

async function assertFanOutOnAgent(t: import('ava').ExecutionContext, r: { code: number | null; json: Json; out: string }, runId: (ids: Set<string>) => void): Promise<void> {
  t.is(r.code, 0, r.out);
  for (const id of fanOutIds) t.is(r.json.task_results[id]!.stdout.trim(), 'on-agent', `${id} ran on the agent`);
  runId(await agentRanIncluding(fanOutIds));
  // The console names host and agent on every Executing line of the fan-out.
  t.regex(r.out, /Task 1-110000: Executing \[local\] on web01 via jump1: printenv AGENT_MARK/);
  t.regex(r.out, /Task 1-110001: Executing \[local\] on web02 via jump1: printenv AGENT_MARK/);
  t.regex(r.out, /Task 1-110002: Executing \[local\] on web03 via jump1: printenv AGENT_MARK/);
  for (const host of ['web01', 'web02', 'web03']) t.deepEqual(r.json.hosts[host]!.ran_on, ['agent:jump1']);
}

test.serial('a hostnames= block through --agent runs every sub-task on the agent', async (t) => {
  const before = agentRan();
  const r = await run('fan.txt', fanOutFile(), ['--agent', 'jump1']);
  await assertFanOutOnAgent(t, r, (ids) => {
    for (const id of fanOutIds) t.true(ids.has(id) && !before.has(id), `the agent's log records ${id}`);
  });
  t.is(r.json.task_results['0']!.stdout.trim(), 'on-agent');
  t.regex(r.out, /Task 0: Executing \[local\] on web00 via jump1: printenv AGENT_MARK/);
});

test.serial('agent= written on the hostnames= block sends its sub-tasks to the agent; the task without one stays here', async (t) => {
  const r = await run('fan-block.txt', fanOutFile(['agent=jump1']));
  await assertFanOutOnAgent(t, r, () => {});
  t.is(r.json.task_results['0']!.stdout.trim(), '', 'task 0 ran on the controller');
  t.regex(r.out, /Task 0: Executing \[local\] on web00: printenv AGENT_MARK/);
  t.deepEqual(r.json.hosts['web00']!.ran_on, ['local']);
});

test.serial('TASK_EXECUTOR_AGENT and config default_agent send a hostnames= block to the agent', async (t) => {
  const viaEnv = await run('fan-env.txt', fanOutFile(), [], { TASK_EXECUTOR_AGENT: 'jump1' });
  await assertFanOutOnAgent(t, viaEnv, () => {});
  const withDefault = join(dir, 'default.yaml');
  writeFileSync(withDefault, `default_agent: jump1\nagents:\n  jump1:\n    address: "${agent.address}"\n`);
  const viaConfig = await run('fan-default.txt', fanOutFile(), [], {}, withDefault);
  await assertFanOutOnAgent(t, viaConfig, () => {});
});

test.serial('loop iterations, conditional branches and tasks= sub-tasks run on the agent the block or the run names', async (t) => {
  const text = [
    'task=0', 'hostname=web01', ...printMark, 'next=loop', 'loop=2', '',
    'task=1', 'type=conditional', 'condition=@0_success@', 'if_true_tasks=10', 'if_false_tasks=11', 'agent=jump1', '',
    'task=2', 'type=parallel', 'tasks=20,21', 'agent=jump1', '',
    'task=10', 'hostname=web02', ...printMark, '',
    'task=11', 'hostname=web03', ...printMark, '',
    'task=20', 'hostname=web04', ...printMark, '',
    'task=21', 'hostname=web05', ...printMark, '',
  ].join('\n');
  // Without --agent only the blocks' agent= applies: the loop runs here, the branch and tasks= there.
  const mixed = await run('mixed.txt', text);
  t.is(mixed.code, 0, mixed.out);
  for (const k of ['0.1', '0.2', '0.3']) t.is(mixed.json.task_results[k]!.stdout.trim(), '', `${k} ran here`);
  for (const k of ['1-10', '2-20', '2-21']) t.is(mixed.json.task_results[k]!.stdout.trim(), 'on-agent', `${k} ran on the agent`);
  t.regex(mixed.out, /Task 1-10: Executing \[local\] on web02 via jump1: /);
  t.regex(mixed.out, /Task 2-21: Executing \[local\] on web05 via jump1: /);
  t.regex(mixed.out, /Task 0\.2: Executing \[local\] on web01: /);
  // With --agent every loop iteration goes there too.
  const all = await run('mixed-agent.txt', text, ['--agent', 'jump1']);
  t.is(all.code, 0, all.out);
  for (const k of ['0.1', '0.2', '0.3', '1-10', '2-20', '2-21']) t.is(all.json.task_results[k]!.stdout.trim(), 'on-agent', `${k} ran on the agent`);
  t.regex(all.out, /Task 0\.3: Executing \[local\] on web01 via jump1: printenv AGENT_MARK/);
  const ids = await agentRanIncluding(['0.1', '0.2', '0.3', '1-10', '2-20', '2-21']);
  for (const k of ['0.1', '0.2', '0.3', '1-10', '2-20', '2-21']) t.true(ids.has(k), `the agent's log records ${k}`);
});

test.serial('a sub-task run by two blocks that name different agents is refused before anything runs', async (t) => {
  const text = [
    'task=0', 'type=parallel', 'tasks=10', 'agent=jump1', '',
    'task=1', 'type=parallel', 'tasks=10', 'agent=local', '',
    'task=10', 'hostname=web01', ...printMark, '',
  ].join('\n');
  const r = await run('two-blocks.txt', text);
  t.not(r.code, 0);
  t.regex(r.out, /task 10: runs in block 0 \(agent=jump1\) and block 1 \(agent=local\); give task 10 an agent= of its own/);
  t.notRegex(r.out, /Executing/);
});

test.serial('an agent that cannot be reached leaves its hosts unreachable in the recap and the JSON', async (t) => {
  const gone = join(dir, 'gone.yaml');
  writeFileSync(gone, `agents:\n  jump9:\n    address: "unix:${join(dir, 'no-such.sock')}"\n`);
  const r = await run('gone.txt', fanOutFile(['agent=jump9']), [], {}, gone);
  t.not(r.code, 0);
  t.notRegex(r.out, /Executing/);
  for (const host of ['web01', 'web02', 'web03']) {
    t.like(r.json.hosts[host], { ok: 0, unreachable: 1, ran_on: ['agent:jump9'] });
    t.regex(r.out, new RegExp(`${host} : ok=0 failed=0 skipped=0 timed_out=0 unreachable=1 ran_on=agent:jump9`));
  }
});

test.serial('a block sub-task retried on failure runs every attempt on the block\'s agent', async (t) => {
  const text = [
    'task=0', 'type=parallel', 'tasks=10', 'agent=jump1', 'retry_count=1', 'retry_delay=1', '',
    'task=10', 'hostname=web01', 'command=printenv', 'arguments=NOT_SET_ANYWHERE', 'exec=local', '',
  ].join('\n');
  const before = agentRan();
  const r = await run('retry.txt', text);
  t.not(r.code, 0, 'printenv of an unset variable fails both attempts');
  t.regex(r.out, /Task 0-10\.1: Executing \[local\] on web01 via jump1: printenv NOT_SET_ANYWHERE/);
  t.regex(r.out, /Task 0-10\.2: Executing \[local\] on web01 via jump1: printenv NOT_SET_ANYWHERE/);
  const ids = await agentRanIncluding(['0-10.1', '0-10.2']);
  for (const k of ['0-10.1', '0-10.2']) t.true(ids.has(k) && !before.has(k), `the agent's log records attempt ${k}`);
  t.like(r.json.hosts['web01'], { failed: 1, ran_on: ['agent:jump1'] });
});

test.serial('an agent lost after the pre-run check makes its host unreachable, not failed', async (t) => {
  const doomed = await startAgent(['--listen', await freshSocket()]);
  const cfg = join(dir, 'doomed.yaml');
  writeFileSync(cfg, `agents:\n  jump2:\n    address: "${doomed.address}"\n`);
  const text = [
    // Task 0 (here) kills the agent after the pre-run check found it healthy; task 1 is meant for it.
    'task=0', 'hostname=ctl', 'command=kill', `arguments=-KILL ${doomed.pid}`, 'exec=local', 'sleep=1', '',
    'task=1', 'hostname=web09', 'command=true', 'exec=local', 'agent=jump2', '',
  ].join('\n');
  const r = await run('lost.txt', text, [], {}, cfg);
  await doomed.exited;
  t.not(r.code, 0);
  t.regex(r.out, /Task 1: Executing \[local\] on web09 via jump2: true/);
  t.like(r.json.hosts['web09'], { ok: 0, failed: 0, unreachable: 1, ran_on: ['agent:jump2'] });
  t.like(r.json.hosts['ctl'], { ok: 1, ran_on: ['local'] });
  t.regex(r.out, /web09 : ok=0 failed=0 skipped=0 timed_out=0 unreachable=1 ran_on=agent:jump2/);
});

test.serial('hosts that fail the host check on their agent are unreachable via that agent', async (t) => {
  const text = [
    'task=0', 'type=parallel', 'hostnames=nowhere-a.invalid,nowhere-b.invalid', 'command=true', 'exec=pbrun', 'agent=jump1', '',
  ].join('\n');
  const r = await run('bad-hosts.txt', text);
  t.not(r.code, 0);
  t.notRegex(r.out, /Executing/);
  t.regex(r.out, /host nowhere-a\.invalid \(via agent jump1\)/);
  for (const host of ['nowhere-a.invalid', 'nowhere-b.invalid']) t.deepEqual(r.json.hosts[host], { ok: 0, failed: 0, skipped: 0, timed_out: 0, unreachable: 1, ran_on: ['agent:jump1'] });
});
