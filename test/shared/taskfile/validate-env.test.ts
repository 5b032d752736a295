/** Environment variables in globals and arguments: unset ones are errors where they are used (SPEC §2a). */
import test from 'ava';
import { parseTaskFile } from '../../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../../shared/taskfile/validate.js';
import { check, EXEC_TYPES, file, formatAll } from '../../helpers/tasker.js';

const task = (id: number, ...extra: string[]): string[] => [`task=${id}`, 'hostname=localhost', 'exec=local', 'command=echo', ...extra];
const codes = (text: string, env: NodeJS.ProcessEnv = {}): string[] => check(text, env).diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}[${d.code}]`);

test('G=$NOPE used by a task is an error naming the variable and its place', (t) => {
  const text = file('G=$NOPE', ...task(0, 'arguments=@G@'));
  t.is(formatAll(text, 'wf.txt'), [
    "wf.txt:1:3: error[UNSET_ENV_VAR] global 'G' uses $NOPE, which is not set",
    ' 1 | G=$NOPE',
    '   |   ^^^^^',
    '   = help: set NOPE in the environment, or give a default: ${NOPE:-value}',
  ].join('\n'));
});

test('a global never used only warns', (t) => {
  t.deepEqual(codes(file('G=$NOPE', ...task(0))), ['1:3 warning[UNSET_ENV_VAR]']);
});

test('a global used only through another used global is used', (t) => {
  t.deepEqual(codes(file('A=x${NOPE}', 'B=@A@/y', 'task=0', 'hostname=@B@', 'exec=local', 'command=echo')), ['1:4 error[UNSET_ENV_VAR]']);
});

test('a global used only in a condition is used', (t) => {
  t.deepEqual(codes(file('MAX=$NOPE', ...task(0, 'next=@0_exit@<@MAX@'))), ['1:5 error[UNSET_ENV_VAR]']);
});

test('${VAR:-default} gives the global its default, silently', (t) => {
  const { workflow, diagnostics } = check(file('MAXLOAD=${MAXLOAD:-4}', ...task(0, 'next=@0_stdout@<@MAXLOAD@')));
  t.deepEqual(diagnostics, []);
  t.is(workflow.globals.get('MAXLOAD'), '4');
  t.is(check(file('MAXLOAD=${MAXLOAD:-4}', ...task(0)), { MAXLOAD: '9' }).workflow.globals.get('MAXLOAD'), '9');
  t.is(check(file('M=${M-4}', ...task(0, 'arguments=@M@')), { M: '' }).workflow.globals.get('M'), '');
});

test('an unset variable in a task\'s arguments is an error at its column', (t) => {
  const text = file(...task(0, 'arguments=run $HOME $NOPE'));
  t.deepEqual(codes(text, { HOME: '/root' }), ['5:21 error[UNSET_ENV_ARGUMENT]']);
  t.regex(check(text, { HOME: '/root' }).diagnostics.find((d) => d.code === 'UNSET_ENV_ARGUMENT')!.message, /task 0: arguments use \$NOPE, which is not set/);
});

test('arguments of a shell task are left to the shell', (t) => {
  t.deepEqual(codes(file('task=0', 'hostname=localhost', 'exec=shell', 'command=echo', 'arguments=$NOPE')), []);
});

test('single quotes and \\$ keep a $ for the program', (t) => {
  t.deepEqual(codes(file(...task(0, "arguments='{print $NF}' \\$NOPE"))), []);
});

test('an unsupported ${…} form is an error where it is used', (t) => {
  t.deepEqual(codes(file('G=${X:=1}', ...task(0, 'arguments=@G@ ${Y:?}'))), ['1:3 error[BAD_ENV_REFERENCE]', '6:15 error[BAD_ENV_REFERENCE]']);
});

test('$VAR in a condition or a non-shell command is not expanded: a warning says so', (t) => {
  t.deepEqual(codes(file(...task(0, 'next=@0_stdout@<${MAXLOAD:-4}'))), ['5:17 warning[ENV_NOT_EXPANDED]']);
  t.deepEqual(codes(file('task=0', 'hostname=localhost', 'exec=local', 'command=$HOME/bin/x')), ['4:9 warning[ENV_NOT_EXPANDED]']);
});

const strict = (text: string, env: NodeJS.ProcessEnv): string[] => {
  const parsed = parseTaskFile(text, 'test.txt');
  return buildWorkflow(parsed.ast, { env, execTypes: EXEC_TYPES, strictEnv: true }).diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`);
};

test('--strict-env-validation allows only TASKER_* in globals and arguments, defaults included', (t) => {
  const env = { HOME: '/root', TASKER_A: 'a' };
  t.deepEqual(strict(file('G=$TASKER_A', 'H=${TASKER_B:-$HOME}', ...task(0, 'arguments=@G@ @H@ $HOME $TASKER_A')), env), [
    "2:15 ENV_NOT_ALLOWED global 'H' uses $HOME; with --strict-env-validation only TASKER_* variables are allowed",
    '7:19 ENV_NOT_ALLOWED task 0: arguments use $HOME; with --strict-env-validation only TASKER_* variables are allowed',
  ]);
});

test('a variable repeated in one field is reported once, at its first place', (t) => {
  t.deepEqual(codes(file(...task(0, 'arguments=$NOPE $NOPE ${NOPE} $OTHER'))), ['5:11 error[UNSET_ENV_ARGUMENT]', '5:31 error[UNSET_ENV_ARGUMENT]']);
});

test('a field naming thousands of unset variables gets ten diagnostics, the last saying how many more', (t) => {
  const names = Array.from({ length: 5000 }, (_, i) => `$V${i}`).join(' ');
  const found = check(file(...task(0, `arguments=${names}`))).diagnostics.filter((d) => d.code === 'UNSET_ENV_ARGUMENT');
  t.is(found.length, 10);
  t.is(found[9]!.message, 'task 0: arguments use $V9, which is not set (and 4990 more variables in this field, not listed)');
});
