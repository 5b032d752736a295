/**
 * Hostile input through `tasker` in-process, seen as the bin's output and exit code: files
 * that are not regular, too large, with huge lines, deep nesting, control characters or invalid
 * UTF-8 are refused with one positioned error, a bounded stderr and the documented exit code.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { USAGE } from '../../../core/args/index.js';
import { file, runTaskerIn, runTaskerInProcess, tempWith } from '../../helpers/tasker.js';

const STDERR_BOUND = 64 * 1024;
const TASK = ['task=0', 'hostname=localhost', 'exec=local', 'command=echo'];
const ESC = '\x1b';
const BEL = '\x07';

/** No V8 or Node stack trace: no "    at " frame lines, no "node:internal". */
function assertNoStackTrace(t: { false: (v: boolean, m?: string) => void }, stderr: string): void {
  t.false(/^\s+at /m.test(stderr), 'no stack frames');
  t.false(stderr.includes('node:internal'), 'no Node internals');
}

test('/dev/zero is refused at once as a character device: exit 31, one line', async (t) => {
  const r = await runTaskerInProcess(['--validate-only', '/dev/zero'], { cwd: tempWith() });
  t.is(r.code, 31);
  t.is(r.stderr, 'tasker: error: /dev/zero is a character device, not a task file\n');
});

test('a FIFO nobody writes to is refused without waiting for a writer: exit 31', async (t) => {
  const dir = tempWith();
  execFileSync('mkfifo', [join(dir, 'pipe.txt')]);
  const r = await runTaskerInProcess(['--validate-only', 'pipe.txt'], { cwd: dir });
  t.is(r.code, 31);
  t.is(r.stderr, 'tasker: error: pipe.txt is a FIFO (named pipe), not a task file\n');
});

test('a line over 1 MiB is one positioned error, exit 20, a few hundred bytes of stderr', async (t) => {
  const dir = tempWith({ 'big.txt': file(...TASK, `arguments=${'a'.repeat(2 * 1024 * 1024)}`) });
  const r = await runTaskerInProcess(['--validate-only', 'big.txt'], { cwd: dir });
  t.is(r.code, 20);
  t.is(r.stderr, [
    'big.txt:5:1048577: error[LINE_TOO_LONG] line is longer than 1 MiB',
    '   = help: split the line; a task file line holds one key=value pair',
    'tasker: error: the task file was not read; nothing was run',
    '',
  ].join('\n'));
  assertNoStackTrace(t, r.stderr);
});

test('a file over --max-file-size is one positioned error, exit 20', async (t) => {
  const lines = Array.from({ length: 200 }, (_, i) => `G${i}=value`);
  const dir = tempWith({ 'wf.txt': file(...lines, ...TASK) });
  const r = await runTaskerIn(dir, ['--max-file-size', '1K', '--validate-only', 'wf.txt']);
  t.is(r.code, 20);
  t.regex(r.stderr, /^wf\.txt:\d+:\d+: error\[FILE_TOO_LARGE\] the file is larger than 1 KiB\n += help: split the file, or raise the limit with --max-file-size\n/);
  const ok = await runTaskerIn(dir, ['--max-file-size=64K', '--validate-only', 'wf.txt']);
  t.is(ok.code, 0);
});

const badSize = test.macro({
  async exec(t, value: string) {
    const r = await runTaskerIn(tempWith({ 'wf.txt': file(...TASK) }), [`--max-file-size=${value}`, 'wf.txt']);
    t.is(r.code, 2);
    t.is(r.stderr, `${USAGE}\ntasker: error: --max-file-size must be a size from 1K to 256M (bytes, or a number with K, M or G), got \`${value}\`\n`);
  },
  title: (_p, value: string) => `--max-file-size=${value} is a usage error`,
});
test(badSize, 'lots');
test(badSize, '10');
test(badSize, '1G');
test(badSize, '5X');

test('invalid UTF-8 in a task file is an error at its line and column, exit 20 (not U+FFFD in argv)', async (t) => {
  const dir = tempWith();
  writeFileSync(join(dir, 'latin1.txt'), Buffer.concat([Buffer.from(file(...TASK)), Buffer.from('arguments=caf\xe9\n', 'latin1')]));
  const r = await runTaskerInProcess(['-r', 'latin1.txt'], { cwd: dir, env: { TASK_EXECUTOR_LOG: join(dir, 'logs') } });
  t.is(r.code, 20);
  t.regex(r.stderr, /^latin1\.txt:5:14: error\[INVALID_UTF8\] invalid UTF-8: byte 0xe9 does not start a valid character\n/);
  t.false(r.stdout.includes('caf'), 'nothing ran');
});

test('100k nested parentheses give ONE nesting error, no cascade of UNCLOSED_PAREN', async (t) => {
  const dir = tempWith({ 'nest.txt': file(...TASK, `success=${'('.repeat(100_000)}exit_0${')'.repeat(100_000)}`) });
  const r = await runTaskerInProcess(['--validate-only', 'nest.txt'], { cwd: dir });
  t.is(r.code, 20);
  const headers = r.stderr.split('\n').filter((l) => /^nest\.txt:\d+:\d+: /.test(l));
  t.deepEqual(headers, ['nest.txt:5:209: error[NESTING_TOO_DEEP] task 0: success: parentheses nest deeper than 200 levels']);
  t.true(r.stderr.length < 2048, `stderr is ${r.stderr.length} bytes`);
  assertNoStackTrace(t, r.stderr);
});

test('a line of a million stray "!" is reported, not a stack overflow', async (t) => {
  const dir = tempWith({ 'bang.txt': file(...TASK, `success=${'!'.repeat(1_000_000)}`) });
  const r = await runTaskerInProcess(['--validate-only', 'bang.txt'], { cwd: dir });
  t.is(r.code, 20);
  t.true(r.stderr.length < STDERR_BOUND, `stderr is ${r.stderr.length} bytes`);
  t.regex(r.stderr, /^bang\.txt:5:9: error\[UNEXPECTED_CHARACTER\] /);
  assertNoStackTrace(t, r.stderr);
});

test('a source excerpt shows ~200 columns around the caret, elided with …', async (t) => {
  const dir = tempWith({ 'wide.txt': file(...TASK, `success=exit_0&${'stdout~x&'.repeat(30_000)}stdot~y&exit_0`) });
  const r = await runTaskerIn(dir, ['--validate-only', 'wide.txt']);
  t.is(r.code, 20);
  const [header, excerpt, caret] = r.stderr.split('\n');
  t.regex(header!, /^wide\.txt:5:270016: error\[UNKNOWN_CONDITION\] task 0: success: 'stdot~y' is not a condition/);
  t.true(excerpt!.startsWith(' 5 | …') && excerpt!.endsWith('…') === false, excerpt);
  t.true(excerpt!.length <= 210, `excerpt is ${excerpt!.length} columns`);
  // The caret sits under the word it names.
  const at = caret!.indexOf('^');
  t.is(excerpt!.slice(at, at + 7), 'stdot~y');
});

test('control characters in a task file are escaped in diagnostics', async (t) => {
  const dir = tempWith({ 'esc.txt': file(...TASK, `bogus${ESC}[2J${BEL} line`) });
  const r = await runTaskerIn(dir, ['--validate-only', 'esc.txt']);
  t.is(r.code, 20);
  t.false(r.stderr.includes(ESC) || r.stderr.includes(BEL), 'no raw ESC/BEL');
  t.is(r.stderr.split('\n').slice(0, 3).join('\n'), [
    "esc.txt:5:1: error[NOT_A_PAIR] 'bogus\\x1b[2J\\x07 line' is not a key=value pair",
    ' 5 | bogus\\x1b[2J\\x07 line',
    '   | ^^^^^^^^^^^^^^^^^^^^^',
  ].join('\n'));
});

test('at most 50 diagnostics, then how many more; --all-diagnostics shows them all', async (t) => {
  const junk = Array.from({ length: 300 }, (_, i) => `junk line ${i}`);
  const dir = tempWith({ 'junk.txt': file(...TASK, ...junk) });
  const r = await runTaskerIn(dir, ['--validate-only', 'junk.txt']);
  t.is(r.code, 20);
  const headers = r.stderr.split('\n').filter((l) => l.startsWith('junk.txt:'));
  t.is(headers.length, 50);
  t.true(r.stderr.includes('\n… and 250 more (250 error(s)); --all-diagnostics shows them all\n'));
  const all = await runTaskerIn(dir, ['--validate-only', '--all-diagnostics', 'junk.txt']);
  t.is(all.stderr.split('\n').filter((l) => l.startsWith('junk.txt:')).length, 300);
  t.false(all.stderr.includes('… and'));
});

test('errors are shown before a flood of warnings', async (t) => {
  const unknown = Array.from({ length: 100 }, (_, i) => `colour${i}=red`);
  const dir = tempWith({ 'w.txt': file(...TASK, ...unknown, 'task=1', 'hostname=localhost', 'exec=pbrn', 'command=echo') });
  const r = await runTaskerIn(dir, ['--validate-only', 'w.txt']);
  t.is(r.code, 20);
  t.regex(r.stderr, /error\[UNKNOWN_EXEC_TYPE\]/);
  t.true(r.stderr.includes('… and 51 more (51 warning(s))'));
});

test("a task's control characters are made visible on the console; the log file and JSON keep the bytes", async (t) => {
  const dir = tempWith({ 'out.txt': file('task=0', 'hostname=localhost', 'exec=local', 'command=printf', "arguments='\\033[31mred\\007 done\\n'") });
  const r = await runTaskerIn(dir, ['-r', '--output-json', 'out.json', 'out.txt']);
  t.is(r.code, 0);
  t.regex(r.stdout, /Task 0: STDOUT: \\x1b\[31mred\\x07 done\n/);
  t.false(r.stdout.includes(ESC) || r.stdout.includes(BEL), 'no raw ESC/BEL on the console');
  const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { task_results: Record<string, { stdout: string }> };
  t.is(json.task_results['0']!.stdout, `${ESC}[31mred${BEL} done\n`);
  const logs = join(dir, 'logs', 'logs');
  const log = readFileSync(join(logs, readdirSync(logs).find((f) => f.endsWith('.log'))!), 'utf8');
  t.true(log.includes(`Task 0: STDOUT: ${ESC}[31mred${BEL} done`), 'the log keeps the bytes');

  const raw = await runTaskerIn(dir, ['-r', '--raw-output', 'out.txt']);
  t.true(raw.stdout.includes(`Task 0: STDOUT: ${ESC}[31mred${BEL} done\n`), '--raw-output echoes the bytes');
});

test('control characters from the task file are escaped in the plan and the Executing line too', async (t) => {
  const dir = tempWith({ 'cmd.txt': file('task=0', 'hostname=localhost', 'exec=local', 'command=echo', `arguments=a${ESC}]0;pwned${BEL}b`) });
  const plan = await runTaskerIn(dir, ['cmd.txt']);
  t.is(plan.code, 0);
  t.true(plan.stdout.includes('echo a\\x1b]0;pwned\\x07b'), plan.stdout);
  t.false(plan.stdout.includes(ESC));
  const run = await runTaskerIn(dir, ['-r', 'cmd.txt']);
  t.is(run.code, 0);
  t.regex(run.stdout, /Task 0: Executing \[local\] on localhost: echo a\\x1b\]0;pwned\\x07b\n/);
  t.false(run.stdout.includes(ESC) || run.stdout.includes(BEL));
});

test('a config that is a device is refused with exit 31; one with invalid UTF-8 with exit 20 at its position', async (t) => {
  const dir = tempWith({ 'wf.txt': file(...TASK) });
  const dev = await runTaskerIn(dir, ['--config', '/dev/zero', '--validate-only', 'wf.txt']);
  t.is(dev.code, 31);
  t.is(dev.stderr, [
    '/dev/zero: error[CONFIG_UNREADABLE] config file /dev/zero (from --config) is a character device, not a regular file',
    'tasker: error: the config file has errors; nothing was run',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'tasker.yaml'), Buffer.from('log_dir: /tmp/caf\xe9\n', 'latin1'));
  const utf = await runTaskerIn(dir, ['--validate-only', 'wf.txt']);
  t.is(utf.code, 20);
  t.regex(utf.stderr, /tasker\.yaml:1:18: error\[INVALID_UTF8\] invalid UTF-8: byte 0xe9 does not start a valid character\n/);
});

test('a task file cannot turn on --raw-output or --all-diagnostics for itself', async (t) => {
  const junk = Array.from({ length: 60 }, (_, i) => `junk line ${i}`);
  const dir = tempWith({ 'self.txt': file('--raw-output', '--all-diagnostics', ...TASK, `arguments=a${ESC}[2Jb`, ...junk) });
  const r = await runTaskerIn(dir, ['--validate-only', 'self.txt']);
  t.is(r.code, 20);
  t.true(r.stderr.includes('\n… and 10 more (10 error(s)); --all-diagnostics shows them all\n'));
  t.regex(r.stdout, /WARN: self\.txt:1: --raw-output in a task file is ignored; give it on the command line/);
  t.regex(r.stdout, /WARN: self\.txt:2: --all-diagnostics in a task file is ignored; give it on the command line/);
  t.false(r.stdout.includes(ESC) || r.stderr.includes(ESC));
});
