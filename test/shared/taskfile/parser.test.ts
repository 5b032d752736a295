import test from 'ava';
import type { ExecutionContext } from 'ava';
import { parseTaskFile, stripInlineComment } from '../../../shared/taskfile/parser.js';
import { file } from '../../helpers/tasker.js';

type Diag = { code: string; severity: 'error' | 'warning'; line: number; col: number; message?: string; hint?: string };

const parse = (text: string) => parseTaskFile(text, 'test.txt');

/** Field values of one task, by key (the `task` key included). */
function fieldsOf(text: string, id: number): Record<string, string> | undefined {
  const node = parse(text).ast.tasks.get(id);
  return node ? Object.fromEntries([...node.fields].map(([k, f]) => [k, f.value])) : undefined;
}

function assertDiagnostics(t: ExecutionContext, text: string, expected: Diag[]): void {
  const { diagnostics } = parse(text);
  t.deepEqual(
    diagnostics.map((d) => ({ code: d.code, severity: d.severity, line: d.line, col: d.col })),
    expected.map((e) => ({ code: e.code, severity: e.severity, line: e.line, col: e.col })),
  );
  expected.forEach((e, i) => {
    if (e.message !== undefined) t.is(diagnostics[i]?.message, e.message);
    if (e.hint !== undefined) t.is(diagnostics[i]?.hint, e.hint);
  });
}

/** The value a `command=` line yields for task 0, and no diagnostics. */
const value = test.macro({
  exec(t, line: string, expected: string) {
    const text = file('task=0', 'hostname=localhost', line);
    t.deepEqual(parse(text).diagnostics, []);
    t.is(fieldsOf(text, 0)?.[line.trimStart().split(/[=\s]/)[0]!.toLowerCase()], expected);
  },
  title: (provided, line: string, expected: string) => provided ?? `${JSON.stringify(line)} → ${JSON.stringify(expected)}`,
});

const diagnoses = test.macro({
  exec(t, text: string, expected: Diag[]) {
    assertDiagnostics(t, text, expected);
  },
  title: (provided, _text: string, expected: Diag[]) => provided ?? expected.map((e) => `${e.severity}[${e.code}]`).join(', '),
});

// key=value: the first '=' splits; whitespace around key and value is trimmed.
test(value, 'command=echo', 'echo');
test('the first = splits: later = stay in the value', value, 'arguments=a=b=c', 'a=b=c');
test('blanks around key and value are trimmed', value, '  arguments   =   x y  ', 'x y');
test('an empty value is kept as empty', value, 'arguments=', '');
test('keys are case-insensitive inside a task', value, 'COMMAND=ls', 'ls');

// Comments.
test('whitespace then # starts an inline comment', value, 'arguments=5  # Sleep for 5 seconds', '5');
test('a tab then # starts an inline comment', value, 'arguments=5\t# note', '5');
test('# glued to a word is part of the value', value, 'arguments=a#b', 'a#b');
test('# inside double quotes is kept', value, 'arguments="x # y"', '"x # y"');
test('# inside single quotes is kept', value, "arguments='x # y' z", "'x # y' z");
test('a comment after a quoted part is still removed', value, 'arguments="x # y" z # gone', '"x # y" z');
test('an apostrophe in prose does not hide the comment', value, "arguments=don't # comment", "don't");
test('a value that is only a # word keeps it', value, 'arguments=#tag', '#tag');

test('comment lines and blank lines are skipped, even indented', (t) => {
  const text = file('# header', '', '   # indented comment', 'task=0', '\t', 'hostname=localhost', '#command=nope', 'command=echo');
  t.deepEqual(parse(text).diagnostics, []);
  t.deepEqual(fieldsOf(text, 0), { task: '0', hostname: 'localhost', command: 'echo' });
});

test('CRLF line endings parse like LF', (t) => {
  const text = 'task=0\r\nhostname=localhost\r\ncommand=echo\r\n';
  t.deepEqual(parse(text).diagnostics, []);
  t.deepEqual(fieldsOf(text, 0), { task: '0', hostname: 'localhost', command: 'echo' });
});

test('stripInlineComment leaves text without a comment untouched', (t) => {
  t.is(stripInlineComment('a#b "c # d"').text, 'a#b "c # d"');
  t.is(stripInlineComment('a #b').text, 'a');
});

// KEY VALUE leniency.
test('`return 0` (a task key without =) is read as return=0 with a warning', (t) => {
  const text = file('task=0', 'hostname=localhost', 'command=echo', 'return 0');
  assertDiagnostics(t, text, [
    { code: 'MISSING_EQUALS', severity: 'warning', line: 4, col: 1, message: "'return 0' has no '='; read as return=0", hint: "write 'return=0'" },
  ]);
  t.is(fieldsOf(text, 0)?.['return'], '0');
});

test('`sleep 5 # wait` keeps the value and drops the comment', (t) => {
  const text = file('task=0', 'hostname=localhost', 'command=echo', 'sleep 5   # wait');
  assertDiagnostics(t, text, [{ code: 'MISSING_EQUALS', severity: 'warning', line: 4, col: 1, message: "'sleep 5   # wait' has no '='; read as sleep=5" }]);
  t.is(fieldsOf(text, 0)?.['sleep'], '5');
});

test('`arguments a=b` splits on the blank: the first word is a task key', (t) => {
  const text = file('task=0', 'hostname=localhost', 'command=echo', 'arguments a=b');
  assertDiagnostics(t, text, [{ code: 'MISSING_EQUALS', severity: 'warning', line: 4, col: 1 }]);
  t.is(fieldsOf(text, 0)?.['arguments'], 'a=b');
});

test(diagnoses, file('task=0', 'hostname=localhost', 'command=echo', 'foo bar'), [
  { code: 'NOT_A_PAIR', severity: 'error', line: 4, col: 1, message: "'foo bar' is not a key=value pair", hint: 'write key=value, or start the line with # to make it a comment' },
]);
test('a misspelt key without = is an error with a suggestion', diagnoses, file('task=0', 'hostname=localhost', 'comand echo'), [
  { code: 'NOT_A_PAIR', severity: 'error', line: 3, col: 1, hint: "did you mean 'command=…'?" },
]);
test('a lone word is an error', diagnoses, file('task=0', 'hostname=localhost', '  oops'), [
  { code: 'NOT_A_PAIR', severity: 'error', line: 3, col: 3, message: "'oops' is not a key=value pair" },
]);
test('a line starting with = has no key', diagnoses, file('task=0', '=value'), [
  { code: 'MISSING_KEY', severity: 'error', line: 2, col: 1, message: "'=value' has no key before '='" },
]);
test('a NUL byte is an error at its column', diagnoses, file('task=0', 'command=ec\0ho'), [
  { code: 'NUL_BYTE', severity: 'error', line: 2, col: 11, message: 'line contains a NUL byte' },
]);

// Globals.
test('lines before the first task are globals; the value may hold = and spaces', (t) => {
  const text = file('ENV=prod', 'URL=http://x/?a=b', 'GREETING=hello world  # comment', 'task=0', 'hostname=localhost', 'command=echo');
  const { ast, diagnostics } = parse(text);
  t.deepEqual(diagnostics, []);
  t.deepEqual([...ast.globals.values()].map((g) => [g.name, g.value, g.line, g.valueCol]), [
    ['ENV', 'prod', 1, 5],
    ['URL', 'http://x/?a=b', 2, 5],
    ['GREETING', 'hello world', 3, 10],
  ]);
});

test('global names are case-sensitive: HOSTNAME=x is a global, not a task key', (t) => {
  const text = file('HOSTNAME=web01', 'Command=x', 'task=0', 'hostname=@HOSTNAME@', 'command=echo');
  const { ast, diagnostics } = parse(text);
  t.deepEqual(diagnostics, []);
  t.deepEqual([...ast.globals.keys()], ['HOSTNAME', 'Command']);
  t.is(fieldsOf(text, 0)?.['hostname'], '@HOSTNAME@');
});

test('a task key before the first task is ignored with a warning', (t) => {
  const text = file('hostname=web01', 'task=0', 'command=echo');
  assertDiagnostics(t, text, [
    { code: 'KEY_OUTSIDE_TASK', severity: 'warning', line: 1, col: 1, message: "'hostname' is a task key but appears before the first task= line; it is ignored", hint: 'move it below a task= line' },
  ]);
  const { ast } = parse(text);
  t.is(ast.globals.size, 0);
  t.is(fieldsOf(text, 0)?.['hostname'], undefined);
});

const badGlobal = test.macro({
  exec(t, name: string) {
    const text = file(`${name}=1`, 'task=0', 'hostname=localhost', 'command=echo');
    const { ast, diagnostics } = parse(text);
    t.deepEqual(diagnostics.map((d) => [d.code, d.severity, d.line, d.col, d.message]), [['INVALID_GLOBAL_NAME', 'error', 1, 1, `'${name}' is not a valid variable name`]]);
    t.is(ast.globals.size, 0);
  },
  title: (_p, name: string) => `global name ${JSON.stringify(name)} is rejected`,
});
test(badGlobal, '1X');
test(badGlobal, 'MY-VAR');
test(badGlobal, 'A.B');

test('a global name longer than 64 characters is an error', diagnoses, file(`${'V'.repeat(65)}=1`, 'task=0', 'hostname=h', 'command=echo'), [
  { code: 'GLOBAL_NAME_TOO_LONG', severity: 'error', line: 1, col: 1, message: `variable name '${'V'.repeat(65)}' is longer than 64 characters` },
]);

test('a global defined twice warns and the last value wins', (t) => {
  const text = file('ENV=dev', 'ENV=prod', 'task=0', 'hostname=h', 'command=echo');
  assertDiagnostics(t, text, [
    { code: 'DUPLICATE_GLOBAL', severity: 'warning', line: 2, col: 1, message: "global 'ENV' is defined again (first at line 1); the last value wins" },
  ]);
  t.is(parse(text).ast.globals.get('ENV')?.value, 'prod');
});

// Duplicates.
test('a key set twice in one task warns and the last value wins', (t) => {
  const text = file('task=0', 'hostname=localhost', 'command=echo', 'arguments=first', 'arguments=second');
  assertDiagnostics(t, text, [
    { code: 'DUPLICATE_KEY', severity: 'warning', line: 5, col: 1, message: "task 0: 'arguments' is set again (first at line 4); the last value wins" },
  ]);
  t.is(fieldsOf(text, 0)?.['arguments'], 'second');
});

test('the same key in two tasks is not a duplicate', diagnoses, file('task=0', 'hostname=h', 'command=a', 'task=1', 'hostname=h', 'command=b'), []);

test('a task id defined twice is an error; the second task body is dropped', (t) => {
  const text = file('task=0', 'hostname=h', 'command=first', 'task=0', 'hostname=h', 'command=second');
  assertDiagnostics(t, text, [
    { code: 'DUPLICATE_TASK_ID', severity: 'error', line: 4, col: 6, message: 'task 0 is defined twice (first at line 1)', hint: 'give every task a unique id' },
  ]);
  t.is(fieldsOf(text, 0)?.['command'], 'first');
});

const badId = test.macro({
  exec(t, id: string, message: string) {
    const text = file(`task=${id}`, 'hostname=h', 'command=echo', 'task=1', 'hostname=h', 'command=ok');
    assertDiagnostics(t, text, [{ code: 'INVALID_TASK_ID', severity: 'error', line: 1, col: 6, message, hint: 'task ids are whole numbers: task=0, task=1, …' }]);
    t.deepEqual([...parse(text).ast.tasks.keys()], [1], 'the bad task is dropped, the next one parsed');
  },
  title: (_p, id: string) => `task id ${JSON.stringify(id)} is an error`,
});
test(badId, '1.5', "task id '1.5' is not a whole number");
test(badId, 'one', "task id 'one' is not a whole number");
test(badId, '-1', "task id '-1' is not a whole number");
test(badId, '', 'task id is empty');
test(badId, '99999999999999999999', "task id '99999999999999999999' is not a whole number");

test('keys of a task with a bad id do not leak into the previous task', (t) => {
  const text = file('task=0', 'hostname=h', 'command=echo', 'task=x', 'command=leak');
  t.is(fieldsOf(text, 0)?.['command'], 'echo');
});

test('an unknown key in a task is ignored with a warning and a suggestion', (t) => {
  const text = file('task=0', 'hostname=h', 'command=echo', 'argumnets=x', 'colour=red');
  assertDiagnostics(t, text, [
    { code: 'UNKNOWN_KEY', severity: 'warning', line: 4, col: 1, message: "task 0: unknown key 'argumnets' is ignored; did you mean 'arguments'?" },
    { code: 'UNKNOWN_KEY', severity: 'warning', line: 5, col: 1, message: "task 0: unknown key 'colour' is ignored" },
  ]);
  t.is(fieldsOf(text, 0)?.['arguments'], undefined);
});

// File arguments.
test('option lines at the top are file arguments, comments stripped', (t) => {
  const text = file('# options', '--auto-recovery', '  --timeout=60  # one minute', 'ENV=x', 'task=0', 'hostname=h', 'command=echo');
  const { ast, diagnostics } = parse(text);
  t.deepEqual(diagnostics, []);
  t.deepEqual(ast.fileArgs, [{ text: '--auto-recovery', line: 2 }, { text: '--timeout=60', line: 3 }]);
  t.deepEqual([...ast.globals.keys()], ['ENV']);
});

test('an option line after the first key=value is not a file argument', (t) => {
  const text = file('task=0', 'hostname=h', 'command=echo', '--auto-recovery');
  const { ast, diagnostics } = parse(text);
  t.deepEqual(ast.fileArgs, []);
  t.deepEqual(diagnostics.map((d) => [d.code, d.line]), [['NOT_A_PAIR', 4]]);
});

test('positions: keyCol and valueCol are 1-based and follow indentation', (t) => {
  const text = file('task=0', '  hostname =  web01', 'command=echo');
  const f = parse(text).ast.tasks.get(0)!.fields.get('hostname')!;
  t.deepEqual([f.line, f.keyCol, f.valueCol, f.value], [2, 3, 15, 'web01']);
});

test('an empty file parses to no tasks and no diagnostics', (t) => {
  const { ast, diagnostics } = parse('');
  t.is(ast.tasks.size, 0);
  t.deepEqual(diagnostics, []);
});
