/**
 * A run without a RemotePlacement (core's runTaskerWith with no `remote`, as issue 14's agent runs a
 * task file in-process): local tasks run, a task that needs an agent or SSH fails preflight (exit
 * 20) naming the task, and needsRemotePlacement tells a caller so before anything is written.
 */
import test from 'ava';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../../shared/exit-codes.js';
import { describeRemoteNeed, needsRemotePlacement, runTaskerWith } from '../../../core/run/index.js';
import { runTasker } from '../../../controller/cli/tasker-main.js';
import { fakeIo, FIXTURE_BIN, tempWith } from '../../helpers/tasker.js';

const task = (id: number, ...keys: string[]) => [`task=${id}`, 'hostname=localhost', ...keys, ''].join('\n');
const makes = (id: number, name: string, ...keys: string[]) => task(id, 'exec=local', 'command=touch', `arguments=${name}`, ...keys);

/** An io for a run in `dir`: logs and HOME inside it. */
function ioIn(dir: string, env: NodeJS.ProcessEnv = {}) {
  return fakeIo({ cwd: dir, env: { PATH: `${FIXTURE_BIN}:/usr/bin:/bin`, HOME: dir, TASK_EXECUTOR_LOG: join(dir, 'logs'), ...env } });
}

test('without a placement, a local file runs its tasks on this machine', async (t) => {
  const dir = tempWith({ 'f.txt': makes(0, 'made') + task(1, 'exec=local', 'command=echo', 'arguments=hi from core') });
  const fake = ioIn(dir);
  const code = await runTaskerWith(['-r', 'f.txt'], fake.io, {});
  t.is(code, ExitCode.SUCCESS, fake.stdout() + fake.stderr());
  t.true(existsSync(join(dir, 'made')));
  t.regex(fake.stdout(), /hi from core/);
});

test('without a placement, a task on an agent fails preflight (exit 20) naming the task, and no task runs', async (t) => {
  const dir = tempWith({ 'f.txt': makes(0, 'made', 'next=always', 'on_success=3') + makes(3, 'also', 'agent=web1') });
  const fake = ioIn(dir);
  const code = await runTaskerWith(['-r', 'f.txt'], fake.io, {});
  t.is(code, ExitCode.VALIDATION_FAILED);
  t.regex(fake.stdout() + fake.stderr(), /task 3 runs on agent 'web1': this run cannot place tasks on agents or SSH hosts \(in-process on an agent\)/);
  t.false(existsSync(join(dir, 'made')), 'no task ran');
});

test('without a placement, exec=ssh and --agent are refused the same way', async (t) => {
  const ssh = tempWith({ 'f.txt': makes(0, 'made') + task(1, 'exec=ssh', 'command=true') });
  const sshIo = ioIn(ssh);
  t.is(await runTaskerWith(['-r', 'f.txt'], sshIo.io, {}), ExitCode.VALIDATION_FAILED);
  t.regex(sshIo.stdout() + sshIo.stderr(), /task 1 runs over SSH \(exec=ssh\): this run cannot place tasks/);
  t.false(existsSync(join(ssh, 'made')));

  const agent = tempWith({ 'f.txt': makes(0, 'made') });
  const agentIo = ioIn(agent);
  t.is(await runTaskerWith(['-r', '--agent', 'jump1', 'f.txt'], agentIo.io, {}), ExitCode.VALIDATION_FAILED);
  t.regex(agentIo.stdout() + agentIo.stderr(), /task 0 runs on agent 'jump1'/);
});

test("the controller's runTasker places the same file through its agents (an unknown agent: exit 21, as before)", async (t) => {
  const dir = tempWith({ 'f.txt': makes(0, 'made', 'agent=web1') });
  const fake = ioIn(dir);
  const code = await runTasker(['-r', 'f.txt'], fake.io);
  t.is(code, ExitCode.HOST_VALIDATION_FAILED);
  t.regex(fake.stdout() + fake.stderr(), /task 0: agent 'web1': unknown agent/);
});

test('needsRemotePlacement names the tasks that need an agent or SSH, and writes nothing', async (t) => {
  const text = task(0, 'type=parallel', 'tasks=1,2', 'agent=web1', 'next=always', 'on_success=5')
    + makes(1, 'a') + makes(2, 'b', 'agent=local') + makes(5, 'c', 'exec=ssh', 'next=always', 'on_success=6') + makes(6, 'd');
  const dir = tempWith({ 'f.txt': text });
  const fake = ioIn(dir);
  const needs = (await needsRemotePlacement(['-r', 'f.txt'], fake.io)).sort((a, b) => a.taskId - b.taskId);
  t.deepEqual(needs, [{ taskId: 1, agent: 'web1' }, { taskId: 5 }]);
  t.deepEqual(needs.map(describeRemoteNeed), ["task 1 runs on agent 'web1'", 'task 5 runs over SSH (exec=ssh)']);
  t.deepEqual(readdirSync(dir), ['f.txt'], 'no log, no record');
  t.is(fake.stdout() + fake.stderr(), '', 'nothing printed');
});

test('needsRemotePlacement: TASK_EXECUTOR_AGENT and config default_agent count, a local file needs nothing', async (t) => {
  const dir = tempWith({ 'f.txt': makes(0, 'a') + makes(1, 'b', 'agent=none'), 'c.yaml': 'default_agent: jump1\n' });
  t.deepEqual(await needsRemotePlacement(['-r', 'f.txt'], ioIn(dir).io), []);
  t.deepEqual(await needsRemotePlacement(['-r', 'f.txt'], ioIn(dir, { TASK_EXECUTOR_AGENT: 'jump2' }).io), [{ taskId: 0, agent: 'jump2' }]);
  t.deepEqual(await needsRemotePlacement(['-r', '--config', 'c.yaml', 'f.txt'], ioIn(dir).io), [{ taskId: 0, agent: 'jump1' }]);
  writeFileSync(join(dir, 'bad.txt'), 'task=0\nnot a key\n');
  t.deepEqual(await needsRemotePlacement(['-r', 'bad.txt'], ioIn(dir).io), [], 'an invalid file fails the same way in-process');
  t.false(existsSync(join(dir, 'logs')));
});

test('with onRemoteNeeds, a run that needs an agent hands the file back before it writes or runs anything', async (t) => {
  const dir = tempWith({ 'f.txt': makes(0, 'made', 'next=always', 'on_success=3') + makes(3, 'also', 'agent=web1') });
  const fake = ioIn(dir);
  const seen: { taskId: number; agent?: string }[][] = [];
  const code = await runTaskerWith(['-r', '-p', 'proj', 'f.txt'], fake.io, { onRemoteNeeds: (needs) => seen.push(needs) });
  t.is(code, ExitCode.VALIDATION_FAILED);
  t.deepEqual(seen, [[{ taskId: 3, agent: 'web1' }]]);
  t.false(/cannot place tasks/.test(fake.stdout() + fake.stderr()), 'not refused: handed back');
  t.false(existsSync(join(dir, 'made')), 'no task ran');
  t.false(existsSync(join(dir, 'logs')) && readdirSync(join(dir, 'logs'), { recursive: true }).length > 0, 'no log, no summary row');

  // The same run without the hook refuses it and records the refusal (the hook's run wrote none of it).
  const refused = ioIn(dir);
  t.is(await runTaskerWith(['-r', '-p', 'proj', 'f.txt'], refused.io, {}), ExitCode.VALIDATION_FAILED);
  t.true(readdirSync(join(dir, 'logs'), { recursive: true }).length > 0);
});
