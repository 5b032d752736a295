/**
 * A broken or failing tasker file under parallelr: the dry run validates each file as tasker does,
 * and a run names the reason of a refused file and the failing task's own exit code, in-process and
 * spawned alike (issue 14).
 */
import test from 'ava';
import { join } from 'node:path';
import { run } from '../../../controller/parallelr/cli.js';
import { readFailureDetail } from '../../../shared/failure-detail.js';
import { fakeIo, makeSandbox, readJsonl, REPO, resultsPathFrom, writeFiles } from './helpers.js';

const GOOD = 'task=0\nhostname=localhost\ncommand=echo\narguments=fine\nexec=local\n';
// Task 1 exits 7 and nothing routes the failure: tasker exits 10.
const FAILING = 'task=0\nhostname=localhost\ncommand=true\nexec=local\n\ntask=1\nhostname=localhost\ncommand=sh\narguments=-c "exit 7"\nexec=local\n';
// No command, and a misspelt condition at line 4, column 6.
const BROKEN = 'task=0\nhostname=localhost\nexec=local\nnext=stdot~x\n';

function sandbox() {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a-good.txt': GOOD, 'b-broken.txt': BROKEN, 'c-failing.txt': FAILING });
  return sb;
}

// The built bin, started as a process (--no-in-process): parallelr recognises it as tasker.
const SPAWNED = `${process.execPath} ${join(REPO, 'dist/controller/cli/tasker.cjs')}`;

test('the dry run validates every tasker file in-process: each invalid file with file:line:col, and a summary', async (t) => {
  const sb = sandbox();
  const io = fakeIo(sb);
  const code = await run(['-T', 'tasks', '-C', 'tasker -r @TASK@ -p proj --output-json out.json'], io);
  t.is(code, 1, 'a dry run over an invalid file fails');
  const out = io.out();
  const broken = join(sb.tasks, 'b-broken.txt');
  t.regex(out, new RegExp(`\\[2/3\\]: tasker -r ${broken} -p proj --output-json out.json\\n    INVALID \\(tasker exit 20\\):\\n    ${broken}:1:1: error\\[MISSING_COMMAND\\]`));
  t.true(out.includes(`    ${broken}:4:6: error[UNKNOWN_CONDITION] task 0: next: 'stdot~x' is not a condition; did you mean 'stdout~x'?`), out);
  t.regex(out, /Validation: 2 of 3 task file\(s\) valid, 1 invalid: tasks\/b-broken\.txt\n/);
  t.false(out.includes('a-good.txt:'), 'valid files report no diagnostics');
  t.false(out.includes('c-failing.txt:'), 'a file that fails only when run is valid');
  // Nothing ran, and nothing was recorded: no project summary, no JSON, no tasker log.
  t.notRegex(out, /Executing/);
  const { existsSync } = await import('node:fs');
  t.false(existsSync(join(sb.home, 'TASKER')), 'the validation writes no tasker records');
  t.false(existsSync(join(sb.dir, 'out.json')));
});

test('the dry run of valid tasker files passes with the summary', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.txt': GOOD, 'b.txt': FAILING });
  const io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'tasker -r @TASK@'], io), 0, io.out());
  t.regex(io.out(), /Validation: 2 of 2 task file\(s\) valid\n/);
});

for (const [mode, template, extra] of [['in-process', 'tasker -r @TASK@', []], ['spawned', `${SPAWNED} -r @TASK@`, ['--no-in-process']]] as const) {
  test(`-r (${mode}): a broken file shows its first diagnostics, a failing one the failing task's own exit code`, async (t) => {
    const sb = sandbox();
    const io = fakeIo(sb);
    const code = await run(['-T', 'tasks', '-C', template, '-r', '-m', '1', ...extra], io);
    t.is(code, 1, io.out() + io.err());
    const out = io.out();
    const broken = join(sb.tasks, 'b-broken.txt');
    t.regex(out, new RegExp(`\\[2/3\\] FAILED: exit 20, \\d+\\.\\d\\ds tasks/b-broken\\.txt \\(2/3 done\\)\\n    ${broken}:1:1: error\\[MISSING_COMMAND\\] task 0 has no command \\(and no return\\)\\n    ${broken}:4:6: error\\[UNKNOWN_CONDITION\\]`));
    t.regex(out, /\[3\/3\] FAILED: exit 10 \(task exit 7\), \d+\.\d\ds tasks\/c-failing\.txt/);
    const rows = Object.fromEntries(readJsonl(resultsPathFrom(out)).map((r) => [r.task_file as string, r]));
    t.is(rows['tasks/c-failing.txt']!.exit_code, 10);
    t.is(rows['tasks/c-failing.txt']!.task_exit_code, 7);
    t.is(rows['tasks/c-failing.txt']!.error_message, 'Exit code 10: task 1 exited 7');
    t.is(rows['tasks/b-broken.txt']!.exit_code, 20);
    t.false('task_exit_code' in rows['tasks/b-broken.txt']!);
    t.true((rows['tasks/b-broken.txt']!.error_message as string).startsWith(`Exit code 20: ${broken}:1:1: error[MISSING_COMMAND]`));
    t.false('task_exit_code' in rows['tasks/a-good.txt']!);
  });
}

test('readFailureDetail reads tasker\'s console: the stop line, the diagnostics, the ERROR line, tasker\'s error line', (t) => {
  const stdout = '[06Dec26 08:16:36] ERROR: Task 1: success → false; no route for the failure, stopping (exit code 7)\n[06Dec26 08:16:36] Workflow failed: exit code 10 (task 1 failed (exit code 7))\n';
  t.deepEqual(readFailureDetail(10, stdout, ''), { failedTask: '1', taskExitCode: 7 });
  t.deepEqual(readFailureDetail(10, stdout.split('\n')[0]!, ''), { failedTask: '1', taskExitCode: 7 }, 'the ERROR line alone (the tail was cut)');
  t.deepEqual(readFailureDetail(10, 'nothing\n', ''), {});
  t.deepEqual(readFailureDetail(21, "[t] ERROR: agent 'a1': not reachable\n[t] ERROR: Agent validation failed; no task was run\n", ''), { reason: "agent 'a1': not reachable" });
  t.deepEqual(readFailureDetail(1, '', 'tasker: error: cannot write logs under /x: EACCES; use -l DIR or TASK_EXECUTOR_LOG\n'), { reason: 'cannot write logs under /x: EACCES; use -l DIR or TASK_EXECUTOR_LOG' });
  t.deepEqual(readFailureDetail(2, '', 'usage: tasker [options] TASK_FILE\n  -r  run\ntasker: error: unknown option --bogus\n'), { reason: 'unknown option --bogus' });
  t.deepEqual(readFailureDetail(31, '', 'f.txt:1:1: error[FILE_TOO_LARGE] too big\ntasker: error: the task file was not read; nothing was run\n'), { reason: 'f.txt:1:1: error[FILE_TOO_LARGE] too big' }, 'the diagnostic first');
  t.deepEqual(readFailureDetail(1, 'plain\n', 'plain\n'), {}, 'nothing said: nothing made up');
  t.deepEqual(readFailureDetail(0, stdout, 'tasker: error: x\n'), {});
  t.deepEqual(readFailureDetail(null, stdout, 'tasker: error: x\n'), {});
});

for (const [mode, template, extra] of [['in-process', 'tasker -r @TASK@', []], ['spawned', `${SPAWNED} -r @TASK@`, ['--no-in-process']]] as const) {
  test(`-r (${mode}): a file whose run fails before its first task (logs that cannot be written) shows tasker's own reason`, async (t) => {
    const sb = makeSandbox();
    writeFiles(sb.tasks, { 'a.txt': GOOD });
    const io = fakeIo(sb);
    // /proc takes no new directory: tasker cannot make its log directory there.
    const code = await run(['-T', 'tasks', '-C', `${template} -l /proc/tasker-forbidden/logs`, '-r', '-m', '1', ...extra], io);
    t.is(code, 1, io.out() + io.err());
    const why = "cannot write logs under /proc/tasker-forbidden/logs: ENOENT: this filesystem does not take new directories, mkdir '/proc/tasker-forbidden'; use -l DIR or TASK_EXECUTOR_LOG";
    t.true(io.out().includes(`FAILED: exit 1, `) && io.out().includes(why), io.out());
    const [row] = readJsonl(resultsPathFrom(io.out()));
    t.is(row!.error_message, `Exit code 1: ${why}`);
  });
}
