import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../controller/parallelr/cli.js';
import { alive, fakeIo, LONG_TASK, makeSandbox, readJsonl, recordedPids, resultsPathFrom, startCli, waitFor, writeFiles, writeUserConfig } from './helpers.js';

test('a timeout kills the whole process group: no survivor of `sleep 100 & sleep 100`', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'slow.sh': LONG_TASK, 'quick.sh': 'exit 0\n' });
  const io = fakeIo(sb);
  const code = await run(['-T', 'tasks', '--file-extension', 'sh', '-C', 'sh @TASK@', '-r', '-t', '1', '-m', '2', '--log-task-output'], io);
  t.is(code, 1);
  const records = readJsonl(resultsPathFrom(io.out()));
  const slow = records.find((r) => r.task_file === 'tasks/slow.sh')!;
  t.is(slow.status, 'TIMEOUT');
  t.is(slow.exit_code, 124);
  t.is(slow.error_message, 'Timeout after 1s (process group killed)');
  t.is(records.find((r) => r.task_file === 'tasks/quick.sh')!.status, 'SUCCESS');
  const pids = recordedPids(sb.tasks);
  t.is(pids.length, 2);
  t.deepEqual(pids.filter(alive), []);
  const output = readFileSync(io.out().match(/Task output: (.+)/)![1]!, 'utf8');
  t.regex(output, /Task: tasks\/slow\.sh\n[\s\S]*Status: TIMEOUT\n  Exit Code: 124\n/);
});

test('SIGINT mid-run: running groups killed, the rest CANCELLED, results complete, exit 130', async (t) => {
  const sb = makeSandbox();
  const files: Record<string, string> = {};
  for (let i = 1; i <= 6; i++) files[`t${i}.sh`] = LONG_TASK;
  writeFiles(sb.tasks, files);
  const child = startCli(sb, ['-T', 'tasks', '--file-extension', 'sh', '-C', 'sh @TASK@', '-r', '-m', '2']);
  const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  await waitFor(() => recordedPids(sb.tasks).length === 4, 20_000, 'two running tasks with their background children');
  const running = recordedPids(sb.tasks);
  child.kill('SIGINT');
  t.is(await closed, 130, child.output());
  t.deepEqual(running.filter(alive), [], 'both task groups are gone');
  const records = readJsonl(resultsPathFrom(child.output()));
  t.is(records.length, 6);
  t.deepEqual(records.map((r) => r.status), Array(6).fill('CANCELLED'));
  t.is(records.filter((r) => r.start_time !== null).length, 2, 'two were running');
  t.deepEqual(records.map((r) => r.error_message), Array(6).fill('Task cancelled (SIGINT)'));
  t.deepEqual(records.map((r) => r.task_file).sort(), ['t1', 't2', 't3', 't4', 't5', 't6'].map((n) => `tasks/${n}.sh`));
  t.regex(child.output(), /Cancelled: 6\n/);
  t.regex(child.output(), /Interrupted: SIGINT/);
  t.is(readdirPids(sb), 0, 'the run removed its registry entry');
});

test('SIGTERM behaves the same and exits 143', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.sh': LONG_TASK, 'b.sh': 'exit 0\n' });
  const child = startCli(sb, ['-T', 'tasks', '--file-extension', 'sh', '-C', 'sh @TASK@', '-r', '-m', '1']);
  const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  await waitFor(() => recordedPids(sb.tasks).length === 2, 20_000, 'a.sh running');
  const running = recordedPids(sb.tasks);
  child.kill('SIGTERM');
  t.is(await closed, 143);
  t.deepEqual(running.filter(alive), []);
  const records = readJsonl(resultsPathFrom(child.output()));
  t.deepEqual(records.map((r) => [r.task_file, r.status]), [['tasks/a.sh', 'CANCELLED'], ['tasks/b.sh', 'CANCELLED']]);
});

test('a second Ctrl-C ends the kill grace: groups that ignore SIGTERM are SIGKILLed at once, the records are complete', async (t) => {
  const sb = makeSandbox();
  writeUserConfig(sb, 'execution:\n  kill_grace_seconds: 60\n');
  // SIGTERM ignored by the shell and (inherited) by its children: only SIGKILL ends the group.
  const deaf = 'trap "" TERM; echo $$ > "$0.pid"; sleep 100 & echo $! >> "$0.pid"; wait\n';
  writeFiles(sb.tasks, { 'a.sh': deaf, 'b.sh': deaf, 'c.sh': 'exit 0\n' });
  const child = startCli(sb, ['-T', 'tasks', '--file-extension', 'sh', '-C', 'sh @TASK@', '-r', '-m', '2']);
  const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  await waitFor(() => recordedPids(sb.tasks).length === 4, 20_000, 'both tasks running with their children');
  const running = recordedPids(sb.tasks);
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 1500));
  t.deepEqual(running.filter((pid) => !alive(pid)), [], 'SIGTERM ignored: the run waits out the 60 s grace (the most the config allows)');
  t.is(child.exitCode, null);
  child.kill('SIGINT');
  const code = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still waiting for the grace 30 s after the second Ctrl-C'), 30_000))]);
  t.is(code, 130, child.output());
  t.deepEqual(running.filter(alive), [], 'both groups are gone');
  const records = readJsonl(resultsPathFrom(child.output()));
  t.deepEqual(records.map((r) => [r.task_file, r.status]).sort(), [['tasks/a.sh', 'CANCELLED'], ['tasks/b.sh', 'CANCELLED'], ['tasks/c.sh', 'CANCELLED']]);
});

function readdirPids(sb: { state: string }): number {
  if (!existsSync(join(sb.state, 'pids'))) return 0;
  return readdirSync(join(sb.state, 'pids')).filter((n) => n.endsWith('.json')).length;
}
