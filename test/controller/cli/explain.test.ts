/**
 * `tasker -r --explain`: every flow decision is printed with the values it compared and the route
 * taken, the JSON `decisions` hold the same, `-d` shows them in place of the old one-word line,
 * the log file keeps them, and odd operands warn once per task and term.
 */
import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '../../../core/run/index.js';
import { schemaErrors } from '../../helpers/json-schema.js';
import { FIXTURE_BIN, runTaskerIn, runTaskerInProcess, tempWith } from '../../helpers/tasker.js';

const task = (id: number, command: string, args: string, ...extra: string[]): string =>
  [`task=${id}`, 'hostname=localhost', 'exec=local', `command=${command}`, `arguments=${args}`, ...extra, ''].join('\n');

type Decisions = RunResult['decisions'];

function readJson(dir: string): RunResult {
  return JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunResult;
}

/** Every decision of the JSON as its console line, in order per key. */
function linesOf(decisions: Decisions): string[] {
  return Object.entries(decisions).flatMap(([key, list]) => list.map((d) => `Task ${key}: ${d.text}`));
}

function logFileOf(dir: string): string {
  const logs = join(dir, 'logs', 'logs');
  return readFileSync(join(logs, readdirSync(logs).find((f) => f.endsWith('.log'))!), 'utf8');
}

const FLOW = [
  'LIMIT=4',
  task(0, 'echo', '0.88', 'next=@0_stdout@<@LIMIT@', 'on_success=2', 'on_failure=6'),
  task(1, 'echo', 'never runs'),
  task(2, 'echo', 'inactive', 'success=stdout~active'),
  task(3, 'echo', 'skipped', 'condition=@0_exit@!=0'),
  task(4, 'echo', 'again', 'next=loop&stdout~again', 'loop=2', 'loop_break=@4_exit@=0&stdout_count>=1'),
  task(5, 'sh', '-c "echo warn >&2; exit 3"', 'failure=stderr~fatal'),
  task(6, 'echo', 'done'),
].join('\n');

test('tasker -r --explain prints each decision with its values and route; the JSON decisions match', async (t) => {
  const dir = tempWith({ 'f.txt': FLOW });
  const r = await runTaskerInProcess(['-r', '--explain', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir });
  t.is(r.code, 0, r.stdout + r.stderr);
  const json = readJson(dir);
  t.deepEqual(schemaErrors('run-result', json), []);
  const expected = [
    'Task 0: next @0_stdout@<@LIMIT@: "0.88" < "4" → true → task 2',
    'Task 2: success stdout~active: "inactive" contains "active" → true → task 3',
    'Task 3: condition @0_exit@!=0: "0" != "0" → false → skip → task 4',
    'Task 4.1: loop_break @4_exit@=0&stdout_count>=1: [@4_exit@=0: "0" = "0" → true; stdout_count>=1: 1 line >= 1 → true] true & true → true → leave the loop → task 5',
    'Task 5: failure stderr~fatal: "warn" contains "fatal" → false → task 6',
    'Task 6: success (default) exit_0: 0 = 0 → true → end',
  ];
  const shown = r.stdout.split('\n').map((l) => l.replace(/^\[[^\]]+\] /, ''));
  for (const line of expected) t.true(shown.includes(line), `printed: ${line}\n${r.stdout}`);
  // Keys like "4.1" follow the whole-number keys in a JSON object, so the order across keys differs.
  t.deepEqual(linesOf(json.decisions).sort(), [...expected].sort(), 'the JSON holds the same decisions, nothing more');
  for (const line of linesOf(json.decisions)) t.true(shown.includes(line), `every JSON decision is printed: ${line}`);
  t.deepEqual(json.decisions['0'], [{
    kind: 'next', text: 'next @0_stdout@<@LIMIT@: "0.88" < "4" → true → task 2',
    terms: [{ expr: '@0_stdout@<@LIMIT@', values: '"0.88" < "4"', result: true }], result: true, route: 'task 2',
  }]);
  t.is(json.decisions['3']![0]!.kind, 'condition');
  t.is(json.decisions['4.1']![0]!.kind, 'loop_break');
  t.deepEqual(json.decisions['4.1']![0]!.terms.map((x) => x.expr), ['@4_exit@=0', 'stdout_count>=1', '@4_exit@=0&stdout_count>=1']);
  // The same decisions are kept in the log file.
  const log = logFileOf(dir);
  for (const line of expected) t.true(log.includes(line), `in the log file: ${line}`);
});

test('a loop condition, a retry and an unrouted failure are explained with their routes', async (t) => {
  const dir = tempWith();
  const text = [
    task(0, 'echo', 'again', 'next=loop&stdout~again', 'loop=1'),
    task(1, join(FIXTURE_BIN, 'fail-until'), `${join(dir, 'n')} 2`, 'retry_count=2', 'retry_delay=0', 'success=exit_0&stdout~run'),
    task(2, 'sh', '-c "echo no; exit 4"'),
  ].join('\n');
  writeFileSync(join(dir, 'f.txt'), text);
  const r2 = await runTaskerIn(dir, ['-r', '--explain', 'f.txt', '--output-json', 'o.json']);
  t.is(r2.code, 10, r2.stdout + r2.stderr);
  const json = readJson(dir);
  t.deepEqual(schemaErrors('run-result', json), []);
  t.deepEqual(json.decisions['0.1']!.map((d) => [d.kind, d.route]), [['loop', 'loop again']]);
  t.deepEqual(json.decisions['0.2']!.map((d) => [d.kind, d.route]), [['loop', '2 runs done → task 1']]);
  t.deepEqual(json.decisions['1']!.map((d) => d.text), [
    'success exit_0&stdout~run: [exit_0: 1 = 0 → false] false & (not evaluated) → false → retry in 0 s (attempt 2/3)',
    'success exit_0&stdout~run: [exit_0: 0 = 0 → true; stdout~run: "run 2" contains "run" → true] true & true → true → task 2',
  ]);
  t.deepEqual(json.decisions['2'], [{
    kind: 'success', text: 'success (default) exit_0: 4 = 0 → false → end (exit 10)',
    terms: [{ expr: 'exit_0', values: '4 = 0', result: false }], result: false, route: 'end (exit 10)',
  }]);
  for (const line of linesOf(json.decisions)) t.true(r2.stdout.includes(line), `printed: ${line}`);
});

test('blocks: a parallel block\'s success rule, a conditional block\'s branch and a decision block are explained', async (t) => {
  const text = [
    'task=0', 'type=parallel', 'tasks=100,101,102', 'success=min_success=2', 'on_success=1', '',
    task(100, 'true', ''), task(101, 'false', ''), task(102, 'echo', 'ok', 'success=stdout~ok'),
    'task=1', 'type=conditional', 'condition=@0_success@', 'if_true_tasks=110', 'if_false_tasks=111', '',
    task(110, 'echo', 'yes'), task(111, 'echo', 'no'),
    'task=2', 'type=decision', 'success=@110_stdout@=yes', 'on_success=4', 'on_failure=3', '',
    task(3, 'echo', 'not here'),
    task(4, 'echo', 'end'),
  ].join('\n');
  const dir = tempWith({ 'f.txt': text });
  const r = await runTaskerIn(dir, ['-r', '--explain', 'f.txt', '--output-json', 'o.json']);
  t.is(r.code, 0, r.stdout + r.stderr);
  const json = readJson(dir);
  t.deepEqual(schemaErrors('run-result', json), []);
  t.deepEqual(json.decisions['0'], [{
    kind: 'block', text: 'block min_success=2: 2 of 3 succeeded, 2 ≥ 2 → true → task 1',
    terms: [{ expr: 'min_success=2', values: '2 of 3 succeeded, 2 ≥ 2', result: true }], result: true, route: 'task 1',
  }]);
  t.is(json.decisions['0-102']![0]!.text, 'success stdout~ok: "ok" contains "ok" → true');
  t.is(json.decisions['0-101']![0]!.text, 'success (default) exit_0: 1 = 0 → false');
  t.is(json.decisions['1']![0]!.text, 'conditional @0_success@: "True" → true → true branch: tasks 110');
  t.is(json.decisions['2']![0]!.text, 'decision @110_stdout@=yes: "yes" = "yes" → true → task 4');
  for (const line of linesOf(json.decisions)) t.true(r.stdout.includes(line), `printed: ${line}`);
});

test('-d shows the explained decision instead of the old `next COND → false` line; without it the console stays as it was', async (t) => {
  const text = ['LIMIT=4', task(0, 'echo', '7', 'next=@0_stdout@<@LIMIT@', 'on_failure=2'), task(1, 'echo', 'one'), task(2, 'echo', 'two')].join('\n');
  const dir = tempWith({ 'f.txt': text });
  const debug = await runTaskerIn(dir, ['-r', '-d', 'f.txt']);
  t.is(debug.code, 0, debug.stdout);
  t.regex(debug.stdout, /DEBUG: Task 0: next @0_stdout@<@LIMIT@: "7" < "4" → false → task 2\n/);
  t.false(debug.stdout.includes('next `@0_stdout@<@LIMIT@` → false'), debug.stdout);
  const plain = await runTaskerIn(dir, ['-r', 'f.txt']);
  t.false(plain.stdout.includes('"7" < "4"'), 'no decision on the console without --explain or -d');
  t.true(plain.stdout.includes('Task 0: next `@0_stdout@<@LIMIT@` → false, jumping to Task 2'), plain.stdout);
  // With --output-json alone the console is as before too; the log file keeps the decisions.
  const json = await runTaskerIn(dir, ['-r', 'f.txt', '--output-json', 'o.json']);
  t.false(json.stdout.includes('"7" < "4"'));
  const logs = join(dir, 'logs', 'logs');
  const logFiles = readdirSync(logs).filter((f) => f.endsWith('.log')).sort();
  t.is(logFiles.length, 3);
  for (const f of logFiles) {
    // Every run's log explains its explicit decisions, flags or not (the plain run's too).
    t.regex(readFileSync(join(logs, f), 'utf8'), /DEBUG: Task 0: next @0_stdout@<@LIMIT@: "7" < "4" → false → task 2\n/, f);
  }
  const withDefaults = logFiles.filter((f) => readFileSync(join(logs, f), 'utf8').includes('success (default)'));
  t.is(withDefaults.length, 2, 'a task without next records its implicit success with -d and --output-json, not in the plain run');
});

test('a comparison against text left as ${X:-4} warns once per task and term, on the console and in the JSON warnings', async (t) => {
  const text = [
    task(0, 'echo', "'${MAXLOAD:-4}'"),
    task(1, 'echo', 'load', 'next=loop&@0_stdout@<5', 'loop=2'),
    task(2, 'echo', 'x', 'success=@0_stdout@>1'),
  ].join('\n');
  const dir = tempWith({ 'f.txt': text });
  const r = await runTaskerIn(dir, ['-r', 'f.txt', '--output-json', 'o.json']);
  const json = readJson(dir);
  const warning = "Task 1: condition term '@0_stdout@<5': \"${MAXLOAD:-4}\" still looks like an unexpanded variable";
  t.is(r.stdout.split(warning).length - 1, 1, `one warning for task 1 although the loop evaluated it more than once:\n${r.stdout}`);
  t.regex(r.stdout, /WARN: Task 2: condition term '@0_stdout@>1': "\$\{MAXLOAD:-4\}" still looks like an unexpanded variable/);
  t.is(json.warnings.filter((w) => w.startsWith(warning)).length, 1);
  t.is(json.warnings.filter((w) => w.includes("'@0_stdout@>1'")).length, 1);
  t.is(json.decisions['1.1']![0]!.terms[0]!.values, '"${MAXLOAD:-4}" < "5" (not a number)');
  t.is(r.code, 10, 'the results are as before: the comparison is false');
  // Without --explain, -d or --output-json nothing is recorded, but the warnings come all the same.
  const bare = await runTaskerIn(dir, ['-r', 'f.txt']);
  t.is(bare.stdout.split(warning).length - 1, 1, bare.stdout);
  t.regex(bare.stdout, /WARN: Task 2: condition term '@0_stdout@>1'/);
  t.is(bare.code, 10);
});

test('secrets are masked in the printed and recorded decisions', async (t) => {
  const text = ['DB_PASSWORD=s3cr3t-value', task(0, 'echo', 'user:s3cr3t-value', 'success=stdout~@DB_PASSWORD@')].join('\n');
  const dir = tempWith({ 'f.txt': text });
  const r = await runTaskerIn(dir, ['-r', '--explain', 'f.txt', '--output-json', 'o.json']);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.false(r.stdout.includes('s3cr3t-value'));
  const raw = readFileSync(join(dir, 'o.json'), 'utf8');
  const decision = readJson(dir).decisions['0']![0]!;
  t.true(decision.result);
  t.regex(decision.terms[0]!.values, /masked/);
  t.false(raw.includes('s3cr3t-value'));
  t.false(logFileOf(dir).includes('s3cr3t-value'));
});
