/** The `tasker` CLI in-process: usage errors, file errors, validation, dry run, JSON on failure, graphs. */
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { USAGE } from '../../../core/args/index.js';
import { VERSION } from '../../../shared/version.js';
import { file, ROOT, runTaskerIn, tempWith } from '../../helpers/tasker.js';

const VALID = file('task=0', 'hostname=localhost', 'command=echo', 'arguments=hi', 'exec=local');
const INVALID = file('task=0', 'command=echo', 'exec=pbrn');
const SEED = readFileSync(join(ROOT, 'examples', 'workflow.txt'), 'utf8');

// Usage errors: the usage line, the reason, exit 2, nothing on stdout.
const usageError = test.macro({
  async exec(t, argv: string[], reason: string) {
    const dir = tempWith({ 'wf.txt': VALID });
    const r = await runTaskerIn(dir, argv);
    t.is(r.code, 2);
    t.is(r.stderr, `${USAGE}\ntasker: error: ${reason}\n`);
    t.is(r.stdout, '');
  },
  title: (_p, argv: string[]) => `tasker ${argv.join(' ')} → usage line, exit 2`,
});
test(usageError, ['--bogus', 'wf.txt'], 'unknown option --bogus');
test(usageError, ['-z', 'wf.txt'], 'unknown option -z');
test(usageError, ['-o', 'abc', 'wf.txt'], '-o must be a whole number of seconds from 5 to 1000, got `abc`');
test(usageError, ['-o', '3', 'wf.txt'], '-o must be a whole number of seconds from 5 to 1000, got `3`');
test(usageError, ['--timeout=1001', 'wf.txt'], '--timeout must be a whole number of seconds from 5 to 1000, got `1001`');
test(usageError, ['wf.txt', '-o'], 'option -o needs a value');
test(usageError, ['wf.txt', '-l'], 'option -l needs a value');
test(usageError, ['--graph', 'png', 'wf.txt'], '--graph must be mermaid, dot or svg, got `png`');
test(usageError, ['--start-from', 'x', 'wf.txt'], '--start-from must be a task id (a whole number), got `x`');
test(usageError, ['--validate-only=yes', 'wf.txt'], 'option --validate-only takes no value');
test(usageError, ['wf.txt', 'other.txt'], "unexpected argument 'other.txt' (the task file is already 'wf.txt')");
test(usageError, [], 'the task file is missing');
test(usageError, ['-t', 'nope', 'wf.txt'], "exec type 'nope' (from -t) is not configured; known: /bin/bash, /bin/sh, bash, local, p7s, pbrun, sh, shell, ssh, wwrs");

test('--help prints the help on stdout and exits 0', async (t) => {
  const r = await runTaskerIn(tempWith(), ['--help']);
  t.is(r.code, 0);
  t.true(r.stdout.startsWith(`${USAGE}\n`));
  t.regex(r.stdout, /--validate-only/);
  t.is(r.stderr, '');
});

test('--version and -V print the version', async (t) => {
  for (const flag of ['--version', '-V']) {
    const r = await runTaskerIn(tempWith(), [flag]);
    t.is(r.code, 0);
    t.is(r.stdout, `TASKER v${VERSION}\n`);
  }
});

// File errors.
test('a missing task file exits 30', async (t) => {
  const r = await runTaskerIn(tempWith(), ['nope.txt']);
  t.is(r.code, 30);
  t.is(r.stderr, 'tasker: error: task file not found: nope.txt\n');
});

test('a directory as task file exits 31', async (t) => {
  const dir = tempWith();
  mkdirSync(join(dir, 'tasks'));
  const r = await runTaskerIn(dir, ['tasks']);
  t.is(r.code, 31);
  t.is(r.stderr, 'tasker: error: tasks is a directory, not a task file\n');
});

// chmod 000 does not stop root (the tests run as root), but a symlink loop cannot be read by anyone.
test('an unreadable task file (a symlink loop) exits 31 naming the file', async (t) => {
  const dir = tempWith();
  symlinkSync('loop.txt', join(dir, 'loop.txt'));
  const r = await runTaskerIn(dir, ['loop.txt']);
  t.is(r.code, 31);
  t.regex(r.stderr, /^tasker: error: cannot read task file loop\.txt: .*ELOOP/);
});

// Validation.
test('a file with errors exits 20 with every diagnostic on stderr and nothing run', async (t) => {
  const dir = tempWith({ 'bad.txt': INVALID });
  const r = await runTaskerIn(dir, ['-r', 'bad.txt']);
  t.is(r.code, 20);
  t.is(r.stderr, [
    'bad.txt:1:1: error[MISSING_HOSTNAME] task 0 has a command but no hostname',
    ' 1 | task=0',
    '   | ^^^^^^',
    '   = help: add hostname=… (hostname=localhost for exec=local)',
    "bad.txt:3:6: error[UNKNOWN_EXEC_TYPE] task 0: exec type 'pbrn' is not configured",
    ' 3 | exec=pbrn',
    '   |      ^^^^',
    "   = help: did you mean 'pbrun'?",
    '',
  ].join('\n'));
  t.regex(r.stdout, /ERROR: Task file validation failed: 2 error\(s\); no task was run/);
  t.false(existsSync(join(dir, 'logs', 'logs')), 'no run log was written');
});

test('--validate-only also exits 20 on errors', async (t) => {
  const r = await runTaskerIn(tempWith({ 'bad.txt': INVALID }), ['--validate-only', 'bad.txt']);
  t.is(r.code, 20);
  t.regex(r.stderr, /error\[MISSING_HOSTNAME\]/);
});

test('--validate-only on a valid file exits 0 and says so', async (t) => {
  const r = await runTaskerIn(tempWith({ 'wf.txt': VALID }), ['--validate-only', 'wf.txt']);
  t.is(r.code, 0);
  t.regex(r.stdout, /Validation passed: 1 task\(s\) in wf\.txt/);
  t.is(r.stderr, '');
});

test('warnings do not block: the seed workflow validates with its two warnings', async (t) => {
  const dir = tempWith({ 'workflow.txt': SEED });
  const r = await runTaskerIn(dir, ['--validate-only', 'workflow.txt']);
  t.is(r.code, 0);
  t.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('workflow.txt:')), [
    "workflow.txt:52:1: warning[MISSING_EQUALS] 'return 0' has no '='; read as return=0",
    "workflow.txt:69:1: warning[MISSING_EQUALS] 'return 1' has no '='; read as return=1",
  ]);
});

test('a file without tasks exits 20', async (t) => {
  const r = await runTaskerIn(tempWith({ 'empty.txt': file('# nothing here') }), ['empty.txt']);
  t.is(r.code, 20);
  t.regex(r.stdout, /empty\.txt defines no tasks/);
});

test('--start-from an undefined task exits 12', async (t) => {
  const r = await runTaskerIn(tempWith({ 'wf.txt': VALID }), ['--start-from', '5', 'wf.txt']);
  t.is(r.code, 12);
  t.regex(r.stdout, /--start-from 5: task 5 is not defined/);
});

// Options written in the task file.
test('--help in a task file is an error at its line', async (t) => {
  const r = await runTaskerIn(tempWith({ 'f.txt': `--help\n${VALID}` }), ['f.txt']);
  t.is(r.code, 20);
  t.true(r.stderr.startsWith('f.txt:1:1: error[FORBIDDEN_FILE_OPTION] --help cannot be given in a task file\n'));
});
test('a bad option value in a task file is an error at its line', async (t) => {
  const r = await runTaskerIn(tempWith({ 'f.txt': `--timeout=3\n${VALID}` }), ['f.txt']);
  t.is(r.code, 20);
  t.true(r.stderr.startsWith('f.txt:1:1: error[BAD_FILE_OPTION] --timeout must be a whole number of seconds from 5 to 1000, got `3`\n'));
});
test('a single-dash word in a task file is a usage error', async (t) => {
  const r = await runTaskerIn(tempWith({ 'f.txt': `-xyz\n${VALID}` }), ['f.txt']);
  t.is(r.code, 2);
  t.true(r.stderr.endsWith("tasker: error: f.txt:1: '-xyz' is not an option (long options start with --)\n"));
});

// Dry run.
const dryRunLine = test.macro({
  async exec(t, exec: string, expected: string) {
    const dir = tempWith({ 'wf.txt': file('HOST=web01', 'task=0', 'hostname=@HOST@', 'command=systemctl', 'arguments=status nginx', `exec=${exec}`) });
    const r = await runTaskerIn(dir, ['--skip-host-validation', 'wf.txt']);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.split('\n')[1], `  Task 0: ${expected}`);
  },
  title: (_p, exec: string, expected: string) => `dry run with exec=${exec} shows ${expected}`,
});
test(dryRunLine, 'pbrun', '[pbrun] pbrun -n -h web01 systemctl status nginx');
test(dryRunLine, 'p7s', '[p7s] p7s web01 systemctl status nginx');
test(dryRunLine, 'wwrs', '[wwrs] wwrs_clir web01 systemctl status nginx');
test(dryRunLine, 'local', '[local] systemctl status nginx');
test(dryRunLine, 'shell', "[shell] /bin/bash -c 'systemctl status nginx'");
test(dryRunLine, 'bash', "[shell] /bin/bash -c 'systemctl status nginx'");

const defaultExecType = test.macro({
  async exec(t, argv: string[], env: Record<string, string>, expected: string) {
    const dir = tempWith({ 'wf.txt': file('task=0', 'hostname=web01', 'command=uptime') });
    const r = await runTaskerIn(dir, ['--skip-host-validation', ...argv, 'wf.txt'], env);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.split('\n')[1], `  Task 0: ${expected}`);
  },
  title: (provided) => `default exec type: ${provided}`,
});
test('pbrun when nothing says otherwise', defaultExecType, [], {}, '[pbrun] pbrun -n -h web01 uptime');
test('TASK_EXECUTOR_TYPE', defaultExecType, [], { TASK_EXECUTOR_TYPE: 'p7s' }, '[p7s] p7s web01 uptime');
test('-t wins over TASK_EXECUTOR_TYPE', defaultExecType, ['-t', 'wwrs'], { TASK_EXECUTOR_TYPE: 'p7s' }, '[wwrs] wwrs_clir web01 uptime');

test('the dry run prints the plan and runs nothing; -r really runs the same file', async (t) => {
  const text = file('task=0', 'hostname=localhost', 'command=touch', 'arguments=created.flag', 'exec=local', 'task=1', 'hostname=web01', 'command=touch', 'arguments=remote.flag', 'exec=pbrun', 'sleep=30');
  const dir = tempWith({ 'wf.txt': text });
  const dry = await runTaskerIn(dir, ['--skip-host-validation', 'wf.txt']);
  t.is(dry.code, 0, dry.stderr);
  t.is(dry.stdout, [
    'Plan for wf.txt: 2 of 2 tasks reachable (dry run: nothing is executed; use -r to run)',
    '  Task 0: [local] touch created.flag',
    '      exit_0: true → task 1; false → stop (exit 10)',
    '  Task 1: [pbrun] pbrun -n -h web01 touch remote.flag',
    '      then sleeps 30 s',
    '      exit_0: true → end (success); false → stop (exit 10)',
    '',
  ].join('\n'));
  t.false(existsSync(join(dir, 'created.flag')));
  t.false(existsSync(join(dir, 'remote.flag')));
  t.false(existsSync(join(dir, 'logs')), 'a dry run writes no logs');

  // Proof that the commands would have created the files (the fixture pbrun runs them locally).
  const runDir = tempWith({ 'wf.txt': text.replace('sleep=30', 'sleep=0') });
  const run = await runTaskerIn(runDir, ['-r', '--skip-host-validation', 'wf.txt']);
  t.is(run.code, 0, run.stdout + run.stderr);
  t.true(existsSync(join(runDir, 'created.flag')));
  t.true(existsSync(join(runDir, 'remote.flag')));
});

test('the dry run of the seed workflow lists every task in flow order', async (t) => {
  const r = await runTaskerIn(tempWith({ 'workflow.txt': SEED }), ['workflow.txt']);
  t.is(r.code, 0);
  const tasks = r.stdout.split('\n').filter((l) => l.startsWith('  Task '));
  t.deepEqual(tasks, [
    '  Task 0: [local] echo hello',
    '  Task 1: [local] echo @0_stdout@ world',
    '  Task 2: [local] ./increment_counter.sh',
    '  Task 3: [local] ./toggle_exit.sh',
    '  Task 4: [local] echo @1_stdout@',
    '  Task 5: [local] echo task3 exit code = @3_stderr@',
    '  Task 6: [local] echo FAILED',
    '  Task 7: [local] echo task3 exit code = @3_stderr@',
  ]);
  t.regex(r.stdout, /Plan for workflow\.txt: 8 of 8 tasks reachable/);
  t.regex(r.stdout, /loop: up to 4 runs while stdout!~2, then task 3/);
  t.regex(r.stdout, /next exit_0\|stderr~: true → task 4; false → task 6/);
});

// JSON on validation failure.
test('--output-json on a validation failure writes status failed, exit_code 20', async (t) => {
  const dir = tempWith({ 'bad.txt': INVALID });
  const r = await runTaskerIn(dir, ['--output-json', 'out.json', 'bad.txt']);
  t.is(r.code, 20);
  const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as {
    workflow_metadata: Record<string, unknown>;
    execution_summary: Record<string, unknown>;
    task_results: Record<string, unknown>;
  };
  t.is(json.workflow_metadata['status'], 'failed');
  t.is(json.workflow_metadata['exit_code'], 20);
  t.is(json.workflow_metadata['task_file'], join(dir, 'bad.txt'));
  t.deepEqual(json.execution_summary['failure_info'], { task_id: null, exit_code: 20, error: 'task_validation failed' });
  t.is(json.execution_summary['executed'], 0);
  t.deepEqual(json.task_results, {});
});

// Graphs.
test('--graph mermaid draws the seed workflow', async (t) => {
  const r = await runTaskerIn(tempWith({ 'workflow.txt': SEED }), ['--graph', 'mermaid', 'workflow.txt']);
  t.is(r.code, 0);
  const lines = r.stdout.split('\n');
  t.is(lines[0], 'flowchart TD');
  for (let id = 0; id <= 7; id++) t.true(lines.some((l) => l.startsWith(`  t${id}["TASK ${id}<br/>`)), `node t${id}`);
  t.true(lines.includes('  t3 -.->|"FALSE (goto 6)"| t6'));
  t.true(lines.includes('  t2 -->|"loop ≤4 while stdout!~2"| t2'));
  t.true(lines.includes('  t7 -->|"return"| ret7'));
});

test('--graph dot draws the seed workflow', async (t) => {
  const r = await runTaskerIn(tempWith({ 'workflow.txt': SEED }), ['--graph', 'dot', 'workflow.txt']);
  t.is(r.code, 0);
  t.true(r.stdout.startsWith('digraph tasker {\n'));
  t.true(r.stdout.endsWith('}\n'));
  t.regex(r.stdout, /^ {2}t0 \[label="TASK 0\\necho hello\\nexec=local"\];$/m);
  t.regex(r.stdout, /^ {2}t3 -> t6 \[label="FALSE \(goto 6\)"/m);
  t.regex(r.stdout, /^ {2}t6 -> t7 \[label="always"/m);
});

test('--graph svg renders through Graphviz dot', async (t) => {
  const r = await runTaskerIn(tempWith({ 'workflow.txt': SEED }), ['--graph', 'svg', 'workflow.txt']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /<svg[\s\S]*<\/svg>\s*$/);
  t.regex(r.stdout, /TASK 7/);
});

test('--graph svg without dot on PATH says how to get it', async (t) => {
  const r = await runTaskerIn(tempWith({ 'workflow.txt': SEED }), ['--graph', 'svg', 'workflow.txt'], { PATH: '/nonexistent' });
  t.is(r.code, 2);
  t.is(r.stdout, '');
  t.true(r.stderr.endsWith('tasker: error: --graph svg needs Graphviz `dot`, which is not on PATH; install it (Debian: apt-get install graphviz) or use --graph dot\n'));
});

test('--graph on an invalid file exits 20 and draws nothing', async (t) => {
  const r = await runTaskerIn(tempWith({ 'bad.txt': INVALID }), ['--graph', 'mermaid', 'bad.txt']);
  t.is(r.code, 20);
  t.false(r.stdout.includes('flowchart'));
});
