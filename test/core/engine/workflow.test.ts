import test from 'ava';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import type { RunResult } from '../../../core/run/index.js';

/** The --output-json document. */
type RunJson = RunResult;

/** The seed README's workflow, run twice: toggle_exit.sh alternates, so both paths of the picture run. */
test('seed workflow takes the TRUE path (tasks 4-5, return 0) and then the FALSE path (tasks 6-7, return 1)', async (t) => {
  const dir = tempDir();
  for (const f of ['workflow.txt', 'increment_counter.sh', 'toggle_exit.sh']) copyFileSync(join(ROOT, 'examples', f), join(dir, f));
  const env = { TASKER_EXAMPLE_STATE: join(dir, 'state') };

  const first = await runTaskerInProcess(['-r', 'workflow.txt', '-l', join(dir, 'logs'), '--output-json', 'one.json'], { cwd: dir, env });
  t.is(first.code, 0, first.stderr);
  const one = JSON.parse(readFileSync(join(dir, 'one.json'), 'utf8')) as RunJson;
  t.deepEqual(one.execution_summary.execution_path, [0, 1, 2, 3, 4, 5]);
  t.deepEqual(one.execution_summary.loop_iterations, ['2.1', '2.2'], 'counter prints 1 then 2: the loop ends on 2');
  t.is(one.task_results['1']!.stdout, 'hello world\n');
  t.is(one.task_results['4']!.stdout, 'hello world\n');
  t.is(one.task_results['3']!.exit_code, 0);
  t.is(one.workflow_metadata.status, 'success');

  const second = await runTaskerInProcess(['-r', 'workflow.txt', '-l', join(dir, 'logs'), '--output-json', 'two.json'], { cwd: dir, env });
  t.is(second.code, 1, 'task 7 returns 1');
  const two = JSON.parse(readFileSync(join(dir, 'two.json'), 'utf8')) as RunJson;
  t.deepEqual(two.execution_summary.execution_path, [0, 1, 2, 3, 6, 7]);
  t.is(two.task_results['3']!.exit_code, 1);
  t.is(two.task_results['6']!.stdout, 'FAILED\n');
  t.is(two.task_results['7']!.stdout, 'task3 exit code = 1\n');
  t.is(two.execution_summary.final_task, 7);
  t.regex(second.stdout, /Task 3: next `exit_0\|stderr~` → false, jumping to Task 6/);
});

test('loop=N runs N+1 times and loop iterations are reported as N.k', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'loop.txt'), 'task=0\nhostname=localhost\ncommand=echo\narguments=tick\nexec=local\nnext=loop\nloop=2\n');
  const r = await runTaskerInProcess(['-r', 'loop.txt', '-l', join(dir, 'logs'), '--output-json', 'out.json'], { cwd: dir });
  t.is(r.code, 0);
  const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as RunJson;
  t.deepEqual(json.execution_summary.loop_iterations, ['0.1', '0.2', '0.3']);
  t.regex(r.stdout, /Task 0\.3: Executing \[local\] on localhost: echo tick/);
});

test('log file, task-file copy and project summary are written where SPEC §2 says', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'deploy.txt'), 'task=0\nhostname=localhost\ncommand=echo\narguments=done\nexec=local\n');
  const r = await runTaskerInProcess(['-r', 'deploy.txt', '-l', join(dir, 'base'), '-p', 'proj'], { cwd: dir });
  t.is(r.code, 0);
  const { readdirSync } = await import('node:fs');
  const logs = readdirSync(join(dir, 'base', 'logs'));
  const logFile = logs.find((f) => /^deploy_\d{8}_\d{6}_\d{3}\.log$/.test(f));
  t.truthy(logFile, logs.join(','));
  t.regex(readFileSync(join(dir, 'base', 'logs', logFile!), 'utf8'), /Task 0: STDOUT: done/);
  t.true(readdirSync(join(dir, 'base', 'tasks')).some((f) => /^deploy_\d{8}_\d{6}_\d{3}\.txt$/.test(f)));
  const summary = readFileSync(join(dir, 'base', 'logs', 'project_proj_summary.log'), 'utf8').split('\n').filter(Boolean);
  t.is(summary[0], '#Timestamp\tTask_File\tFinal_Task_ID\tFinal_Hostname\tFinal_Command\tExit_Code\tStatus\tLog_File');
  const row = summary[1]!.split('\t');
  t.deepEqual(row.slice(1, 7), ['deploy.txt', '0', 'localhost', 'echo done', '0', 'SUCCESS']);
  t.true(row[7]!.endsWith(logFile!));
});

test('secrets are masked in console, log file and JSON', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 's.txt'), 'DB_PASSWORD=hunter2secret\ntask=0\nhostname=localhost\ncommand=echo\narguments=pw=@DB_PASSWORD@\nexec=local\n');
  const r = await runTaskerInProcess(['-r', 's.txt', '-l', join(dir, 'base'), '--output-json', 'o.json'], { cwd: dir });
  t.is(r.code, 0);
  t.false(r.stdout.includes('hunter2secret'));
  t.regex(r.stdout, /<masked len=13>/);
  const json = readFileSync(join(dir, 'o.json'), 'utf8');
  t.false(json.includes('hunter2secret'));
  const { readdirSync } = await import('node:fs');
  const log = readdirSync(join(dir, 'base', 'logs'))[0]!;
  t.false(readFileSync(join(dir, 'base', 'logs', log), 'utf8').includes('hunter2secret'));
});
