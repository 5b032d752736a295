// Built bins: a reader of stdout and stderr that went away does not stop a run (docs/hostile-input.md, "Output nobody reads").
/**
 * The bins' stdout and stderr are pipes whose read ends the test closes before the bin writes a
 * byte, so every write fails with EPIPE (as under `| head` once head has exited). The run must
 * carry on to its end: every task runs, its records are written, and the exit code is the run's,
 * not an internal error.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/run-cli.js';

const TASKER = join(ROOT, 'dist', 'controller', 'cli', 'tasker.cjs');
const PARALLELR = join(ROOT, 'dist', 'controller', 'cli', 'parallelr.cjs');

/** Run a bin with stdout and stderr closed at the reader's end from the start. */
function runUnread(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number | null> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stdout.destroy();
  child.stderr.destroy();
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

test('tasker -r with nobody reading its output runs every task, writes its JSON result and exits with the run\'s code', async (t) => {
  const dir = tempDir('closed-output-');
  const tasks = Array.from({ length: 30 }, (_, i) => `task=${i}\nhostname=localhost\nexec=local\ncommand=echo\narguments=task ${i} ${'x'.repeat(200)}\n`);
  tasks.push(`task=30\nhostname=localhost\nexec=local\ncommand=touch\narguments=${join(dir, 'last-task-ran')}\n`);
  const file = join(dir, 'many.txt');
  writeFileSync(file, tasks.join('\n'));
  const json = join(dir, 'result.json');
  const code = await runUnread(TASKER, ['-r', file, '--output-json', json], { HOME: dir });
  t.is(code, 0);
  t.notThrows(() => readFileSync(join(dir, 'last-task-ran')), 'the last task ran');
  const result = JSON.parse(readFileSync(json, 'utf8')) as { task_results: Record<string, { success: boolean }> };
  t.is(Object.values(result.task_results).filter((r) => r.success).length, 31, 'every task succeeded in the JSON result');
});

test('tasker -r with stdout on a full disk (/dev/full): one line on stderr says so, and the run carries on to its end', async (t) => {
  t.true(existsSync('/dev/full'), 'Linux has /dev/full');
  const dir = tempDir('closed-output-');
  const file = join(dir, 'two.txt');
  writeFileSync(file, `task=0\nhostname=localhost\nexec=local\ncommand=echo\narguments=first\n\ntask=1\nhostname=localhost\nexec=local\ncommand=touch\narguments=${join(dir, 'last-task-ran')}\n`);
  const full = openSync('/dev/full', 'w');
  t.teardown(() => closeSync(full));
  const child = spawn(TASKER, ['-r', file], { stdio: ['ignore', full, 'pipe'], env: { ...process.env, HOME: dir } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  t.is(code, 0, err);
  t.true(existsSync(join(dir, 'last-task-ran')), 'the last task ran');
  t.is(err, 'tasker: cannot write to stdout (ENOSPC: no space left on device, write): its output is dropped; the run carries on\n');
});

test('tasker with a failing run and nobody reading: the run\'s own exit code, not 70', async (t) => {
  const dir = tempDir('closed-output-');
  const file = join(dir, 'fails.txt');
  writeFileSync(file, 'task=0\nhostname=localhost\nexec=local\ncommand=false\n');
  const code = await runUnread(TASKER, ['-r', file], { HOME: dir });
  t.not(code, 70);
  t.not(code, 0);
});

test('parallelr -r with nobody reading its output runs every file and writes every results row', async (t) => {
  const dir = tempDir('closed-output-');
  const files = join(dir, 'files');
  mkdirSync(files);
  for (let i = 1; i <= 12; i++) writeFileSync(join(files, `f${i}.txt`), '');
  const results = join(dir, 'results.jsonl');
  const code = await runUnread(PARALLELR, ['-T', files, '-C', 'echo @TASK@', '-r', '-m', '3', '--results', results], { PARALLELR_HOME: join(dir, 'home'), HOME: dir });
  t.is(code, 0);
  const rows = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { status: string });
  t.is(rows.length, 12);
  t.true(rows.every((r) => r.status === 'SUCCESS'));
});
