/**
 * `tasker` (in-process, with its own environment) on environment variables, endless cycles and loop
 * sleeps: what the operator sees, the exit code, and that the dry-run plan and the run agree.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { file, runTaskerInProcess, tempWith } from '../../helpers/tasker.js';

const task = (id: number, ...extra: string[]): string[] => [`task=${id}`, 'hostname=localhost', 'exec=local', ...extra];
const run = (dir: string, argv: string[], env: NodeJS.ProcessEnv = {}) =>
  runTaskerInProcess(argv, { cwd: dir, env: { HOME: dir, TASK_EXECUTOR_LOG: join(dir, 'logs'), NOPE: undefined, MAXLOAD: undefined, ...env } });

test('G=$NOPE used by a task: exit 20 naming NOPE at wf.txt:1:3, nothing runs', async (t) => {
  const dir = tempWith({ 'wf.txt': file('G=$NOPE', ...task(0, 'command=touch', `arguments=${'@G@'}`)) });
  for (const argv of [['wf.txt'], ['--validate-only', 'wf.txt'], ['-r', 'wf.txt']]) {
    const r = await run(dir, argv);
    t.is(r.code, 20, argv.join(' '));
    t.true(r.stderr.includes("wf.txt:1:3: error[UNSET_ENV_VAR] global 'G' uses $NOPE, which is not set"), r.stderr);
    t.false(r.stderr.includes('Traceback') || r.stderr.includes('    at '), 'no stack trace');
  }
  t.false(readdirSync(dir).includes('$NOPE'), 'the literal $NOPE never reached a command');
});

test('G=$NOPE in a global no task uses: a warning, and the run goes on', async (t) => {
  const dir = tempWith({ 'wf.txt': file('G=$NOPE', ...task(0, 'command=true')) });
  const r = await run(dir, ['-r', 'wf.txt']);
  t.is(r.code, 0, r.stderr);
  t.true(r.stderr.includes("warning[UNSET_ENV_VAR] global 'G' uses $NOPE, which is not set; no task uses 'G'"), r.stderr);
});

test('${MAXLOAD:-4} gives 4 and a comparison against it works; the plan shows what the run runs', async (t) => {
  const text = file('MAX=${MAXLOAD:-4}', ...task(0, 'command=echo', "arguments=3 ${NOPE-dflt} $HOME '$NF' \\$X", 'next=@0_stdout@~3&@MAX@>3'));
  const dir = tempWith({ 'wf.txt': text });
  const plan = await run(dir, ['wf.txt']);
  t.is(plan.code, 0, plan.stderr);
  const shown = `echo 3 dflt ${dir} '$NF' \\$X`;
  t.true(plan.stdout.includes(`Task 0: [local] ${shown}`), plan.stdout);
  const real = await run(dir, ['-r', 'wf.txt']);
  t.is(real.code, 0, real.stdout + real.stderr);
  t.true(real.stdout.includes(`Task 0: Executing [local] on localhost: ${shown}`), real.stdout);
  t.true(real.stdout.includes(`Task 0: STDOUT: 3 dflt ${dir} $NF $X`), real.stdout);
  const withEnv = await run(dir, ['-r', 'wf.txt'], { MAXLOAD: '2' });
  t.is(withEnv.code, 10, 'MAXLOAD=2 makes @MAX@>3 false');
});

test('an unset variable in arguments: exit 20 at its column, with the quoting way out in the help', async (t) => {
  const dir = tempWith({ 'wf.txt': file(...task(0, 'command=sh', 'arguments=-c "echo $count"')) });
  const r = await run(dir, ['-r', 'wf.txt']);
  t.is(r.code, 20);
  t.true(r.stderr.includes('wf.txt:5:20: error[UNSET_ENV_ARGUMENT] task 0: arguments use $count, which is not set'), r.stderr);
  t.true(r.stderr.includes('write it in single quotes or as \\$count'), r.stderr);
  const quoted = tempWith({ 'wf.txt': file(...task(0, 'command=sh', "arguments=-c 'count=2; echo $count'")) });
  const ok = await run(quoted, ['-r', 'wf.txt']);
  t.is(ok.code, 0, ok.stderr);
  t.true(ok.stdout.includes('Task 0: STDOUT: 2'), ok.stdout);
});

test('--strict-env-validation at the head of the task file allows only TASKER_* variables', async (t) => {
  const dir = tempWith({ 'wf.txt': file('--strict-env-validation', 'A=$TASKER_OK', 'B=$HOME', ...task(0, 'command=echo', 'arguments=@A@ @B@')) });
  const r = await run(dir, ['--validate-only', 'wf.txt'], { TASKER_OK: 'x' });
  t.is(r.code, 20);
  t.true(r.stderr.includes("wf.txt:3:3: error[ENV_NOT_ALLOWED] global 'B' uses $HOME; with --strict-env-validation only TASKER_* variables are allowed"), r.stderr);
  t.false(r.stderr.includes('$TASKER_OK;'));
  const cli = tempWith({ 'wf.txt': file('B=$HOME', ...task(0, 'command=echo', 'arguments=@B@')) });
  t.is((await run(cli, ['--validate-only', 'wf.txt'])).code, 0);
  t.is((await run(cli, ['--validate-only', '--strict-env-validation', 'wf.txt'])).code, 20);
});

test('an on_success cycle 1 → 2 → 3 → 1: exit 20 naming it, nothing runs', async (t) => {
  // Task 3 fails on the 50th round, so a tasker without the check ends (exit 10) instead of hanging.
  const third = ['task=3', 'hostname=localhost', 'exec=shell', 'command=echo x >> rounds; [ $(wc -l < rounds) -lt 50 ]', 'on_success=1'];
  const dir = tempWith({ 'wf.txt': file(...task(0, 'command=true'), ...task(1, 'command=touch', 'arguments=ran', 'on_success=2'), ...task(2, 'command=true', 'on_success=3'), ...third) });
  const r = await run(dir, ['-r', 'wf.txt']);
  t.is(r.code, 20);
  t.is(r.stderr.match(/error\[/g)?.length, 1, 'the cycle is the only error');
  t.true(r.stderr.includes('wf.txt:20:1: error[ENDLESS_CYCLE] endless cycle 1 → 2 → 3 → 1: while every task succeeds it never ends; only a failure can leave it'), r.stderr);
  t.true(r.stderr.includes('next=loop&CONDITION') && r.stderr.includes('loop_break=CONDITION'), r.stderr);
  t.false(readdirSync(dir).includes('ran'));
  t.false(readdirSync(dir).includes('rounds'));
});

test('a retry loop through on_failure still runs, and leaves on success', async (t) => {
  const dir = tempWith({ 'wf.txt': file(...task(0, 'command=touch', 'arguments=tried'), ...task(1, 'command=test', 'arguments=-e tried', 'on_failure=0'), ...task(2, 'command=echo', 'arguments=done')) });
  const r = await run(dir, ['-r', 'wf.txt']);
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.includes('Task 2: STDOUT: done'));
});

test('a loop does not sleep after its break condition was met', async (t) => {
  const dir = tempWith({ 'wf.txt': file(...task(0, 'command=echo', 'arguments=ready', 'next=loop', 'loop=3', 'loop_break=stdout~ready', 'sleep=60'), ...task(1, 'command=echo', 'arguments=after')) });
  const started = Date.now();
  const r = await run(dir, ['-r', 'wf.txt']);
  const seconds = (Date.now() - started) / 1000;
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.includes("Task 0.1: loop_break 'stdout~ready' is true, leaving the loop (no sleep)"), r.stdout);
  t.false(r.stdout.includes('Sleeping'), r.stdout);
  t.true(r.stdout.includes('Task 1: STDOUT: after'));
  // Behaviour, not speed: the 60 s sleep was not taken (a generous margin for a loaded machine).
  t.true(seconds < 30, `took ${seconds} s`);
  const log = readdirSync(join(dir, 'logs', 'logs')).find((f) => f.endsWith('.log'))!;
  t.false(readFileSync(join(dir, 'logs', 'logs', log), 'utf8').includes('Sleeping'));
  const plan = await run(dir, ['wf.txt']);
  t.true(plan.stdout.includes("      sleeps 60 s between runs (none once the loop's condition ends it)"), plan.stdout);
});

test('next=loop&COND: a false condition ends the loop without the sleep; between runs it sleeps', async (t) => {
  const dir = tempWith({ 'wf.txt': file(...task(0, 'command=sh', "arguments=-c 'echo $$ >> runs; wc -l < runs'", 'next=loop&stdout!~2', 'loop=5', 'sleep=0.2')) });
  const r = await run(dir, ['-r', 'wf.txt']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.split('\n').filter((l) => l.includes('Sleeping')).map((l) => l.replace(/^\[[^\]]*\] /, '')), ['Task 0.1: Sleeping for 0.2 seconds']);
  t.true(r.stdout.includes("Task 0.2: loop condition 'stdout!~2' is false, leaving the loop (no sleep)"), r.stdout);
});
