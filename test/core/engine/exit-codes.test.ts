import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';

const task = (body: string): string => `task=0\nhostname=localhost\nexec=local\n${body}\n`;

const cases: [string, string, string[], number][] = [
  ['success', task('command=true'), [], 0],
  ['unrouted failure exits 10', task('command=false'), [], 10],
  ['next condition false without goto exits 10', task('command=echo\narguments=x\nnext=stdout~y'), [], 10],
  ['return=N ends with N after running the command', task('command=true\nreturn=7'), [], 7],
  ['next=never ends with 0 even after a failure', task('command=false\nnext=never'), [], 0],
  ['a non-numeric return value at run time exits 50', task('command=echo\narguments=abc\nreturn=@0_stdout@'), [], 50],
  ['validation failure exits 20', 'task=0\nhostname=localhost\ncommand=true\nnext=bogus~x\n', [], 20],
  ['host validation failure exits 21', 'task=0\nhostname=nonexistent-host.invalid\ncommand=true\nexec=pbrun\n', [], 21],
  ['--start-from a missing task exits 12', task('command=true'), ['--start-from', '5'], 12],
  ['bad usage exits 2', task('command=true'), ['--timeout', 'abc'], 2],
];

for (const [name, content, extra, expected] of cases) {
  test(`exit code: ${name} → ${expected}`, async (t) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f.txt'), content);
    const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json', ...extra], { cwd: dir });
    t.is(r.code, expected, r.stdout + r.stderr);
    if (expected !== 2) {
      const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { workflow_metadata: { exit_code: number; status: string } };
      t.is(json.workflow_metadata.exit_code, expected, 'the JSON records the same exit code');
      t.is(json.workflow_metadata.status, expected === 0 ? 'success' : 'failed');
    }
  });
}

test('exit code: missing task file → 30, unreadable (a directory) → 31', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'adir'));
  t.is((await runTaskerInProcess(['-r', 'nope.txt'], { cwd: dir })).code, 30);
  const r = await runTaskerInProcess(['-r', 'adir'], { cwd: dir });
  t.is(r.code, 31);
  t.regex(r.stderr, /is a directory/);
});

test('the failed task keeps its own exit code in the JSON when the run exits 10', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), task('command=sh\narguments=-c "exit 5"'));
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir });
  t.is(r.code, 10);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { task_results: Record<string, { exit_code: number }>; execution_summary: { failure_info: { task_id: number } } };
  t.is(json.task_results['0']!.exit_code, 5);
  t.is(json.execution_summary.failure_info.task_id, 0);
});
