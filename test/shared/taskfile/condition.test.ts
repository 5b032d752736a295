import test from 'ava';
import {
  CONDITION_WORDS,
  conditionVariables,
  formatCondition,
  parseCondition,
  parseNext,
  type ConditionNode,
  type NextSpec,
} from '../../../shared/taskfile/condition.js';
import { sexpr } from '../../helpers/condition-helpers.js';

function parsed(t: { truthy: (v: unknown, m?: string) => void; deepEqual: (a: unknown, b: unknown, m?: string) => void }, text: string): ConditionNode {
  const r = parseCondition(text);
  t.deepEqual(r.diagnostics, [], `no diagnostics for ${text}`);
  t.truthy(r.ast, `an AST for ${text}`);
  return r.ast!;
}

const parsesTo = test.macro({
  exec(t, text: string, expected: string) {
    t.is(sexpr(parsed(t, text)), expected);
  },
  title: (provided, text: string) => provided ?? `parses ${JSON.stringify(text)}`,
});

// Precedence, grouping and nesting.
test('& binds tighter than |', parsesTo, 'exit_1|exit_0&stdout~x', 'or(exit(1), and(exit(0), stdout~[x]))');
test('& binds tighter than | on the left too', parsesTo, 'exit_0&stdout~x|exit_1', 'or(and(exit(0), stdout~[x]), exit(1))');
test('parentheses override precedence', parsesTo, '(exit_1|exit_0)&stdout~x', 'and(or(exit(1), exit(0)), stdout~[x])');
test('nesting three levels deep', parsesTo, '((exit_0|(exit_1&(stdout~a|stderr~b))))', 'or(exit(0), and(exit(1), or(stdout~[a], stderr~[b])))');
test('nesting five levels deep', parsesTo, '(((((success)))))&true', 'and(success, true)');
test('same operators flatten', parsesTo, '(exit_0|exit_1)|(exit_2|exit_3)', 'or(exit(0), exit(1), exit(2), exit(3))');
test('whitespace around operators is ignored', parsesTo, '  exit_0 &  ( stdout~ok | stderr~ ) ', 'and(exit(0), or(stdout~[ok], stderr~[]))');
test("the seed README's grouped example", parsesTo, 'exit_0&(stdout~Success|stderr~)', 'and(exit(0), or(stdout~[Success], stderr~[]))');
test("the seed workflow's task 3 condition", parsesTo, 'exit_0|stderr~', 'or(exit(0), stderr~[])');

// Atoms.
test('exit_N', parsesTo, 'exit_42', 'exit(42)');
test('exit_not_0', parsesTo, 'exit_not_0', 'exitNot0');
test('words are case-insensitive', parsesTo, 'EXIT_0&Success&TRUE&False', 'and(exit(0), success, true, false)');
test('uppercase stream names', parsesTo, 'STDOUT~DEFAULT|STDERR~ERROR', 'or(stdout~[DEFAULT], stderr~[ERROR])');
test('stdout does not contain', parsesTo, 'stdout!~error', 'stdout!~[error]');
test('stdout empty / not empty', parsesTo, 'stdout~&stdout!~', 'and(stdout~[], stdout!~[])');
test('pattern with spaces and punctuation', parsesTo, 'stdout~Working directory is /', 'stdout~[Working directory is /]');
test('pattern with regex-looking characters is literal', parsesTo, 'stdout~^Log level is info$', 'stdout~[^Log level is info$]');
test('double-quoted pattern containing |', parsesTo, 'stdout~"a|b"|exit_1', 'or(stdout~[a|b], exit(1))');
test('single-quoted pattern containing & and )', parsesTo, "(stdout~'a&b)'&exit_0)", 'and(stdout~[a&b)], exit(0))');
test('escaped quote inside double quotes', parsesTo, 'stdout~"say \\"hi\\""', 'stdout~[say "hi"]');
test('quoted pattern keeps its spaces', parsesTo, 'stdout~"  padded "', 'stdout~[  padded ]');
test('unquoted pattern with balanced parentheses', parsesTo, '(stdout~f(x))', 'stdout~[f(x)]');
test('an apostrophe inside an unquoted pattern is text', parsesTo, "stdout~don't|exit_1", "or(stdout~[don't], exit(1))");
test('stdout_count operators', parsesTo, 'stdout_count=3&stderr_count<1&stdout_count>=2&stdout_count<=9&stderr_count>0', 'and(stdout_count=[3], stderr_count<[1], stdout_count>=[2], stdout_count<=[9], stderr_count>[0])');
test('stdout_count with spaces and a variable', parsesTo, 'stdout_count >= @LIMIT@', 'stdout_count>=[@LIMIT@]');
test('compare against stdout', parsesTo, 'stdout=BETA_TARGET', 'cmp(stdout:[stdout] = [BETA_TARGET])');
test('compare with spaces in the value', parsesTo, 'stdout=yes or no', 'cmp(stdout:[stdout] = [yes or no])');
test('compare with a lower-case "or false" is text', parsesTo, 'stdout=true or false', 'cmp(stdout:[stdout] = [true or false])');
test('compare stderr with an empty value', parsesTo, 'stderr=', 'cmp(stderr:[stderr] = [])');
test('compare exit numerically', parsesTo, 'exit<10', 'cmp(exit:[exit] < [10])');
test('variable comparisons', parsesTo, '@0_exit@=0&@1_stdout@>=@MAX@&@2_success@!~True', 'and(cmp(text:[@0_exit@] = [0]), cmp(text:[@1_stdout@] >= [@MAX@]), cmp(text:[@2_success@] !~ [True]))');
test('the first operator splits, later ones are text (quoted, so without a warning)', parsesTo, '@2_stdout@~"key2=value2"', 'cmp(text:[@2_stdout@] ~ [key2=value2])');
test('literal words on the left', parsesTo, 'web-01=web-01', 'cmp(text:[web-01] = [web-01])');
test('grouped comparisons with spaces', parsesTo, '(stdout=SUCCESS: Boolean operators work correctly) | (exit_0)', 'or(cmp(stdout:[stdout] = [SUCCESS: Boolean operators work correctly]), exit(0))');
test('a bare placeholder is a truthy test', parsesTo, '@0_success@&@1_success@|@CONDITION_TRUE@', 'or(and(truthy[@0_success@], truthy[@1_success@]), truthy[@CONDITION_TRUE@])');
test('legacy contains / not_contains', parsesTo, 'contains:ready&not_contains:error', 'and(contains[ready], not_contains[error])');

test('nodes carry 0-based start/end offsets', (t) => {
  const ast = parsed(t, 'exit_0 & (stdout~ok|stderr~)');
  t.like(ast, { kind: 'and', start: 0, end: 28 });
  if (ast.kind !== 'and') return t.fail('expected an and node');
  const [exit, group] = ast.children;
  t.like(exit, { kind: 'exit', start: 0, end: 6 });
  t.like(group, { kind: 'or', start: 9, end: 28 });
  if (group?.kind !== 'or') return t.fail('expected an or node');
  t.like(group.children[0], { kind: 'stream', start: 10, end: 19 });
  t.like(group.children[1], { kind: 'stream', start: 20, end: 27 });
});

test('a quoted pattern spans its quotes', (t) => {
  t.like(parsed(t, 'stdout~"a|b"'), { start: 0, end: 12 });
});

// parseNext.
const nextIs = test.macro({
  exec(t, text: string, kind: NextSpec['kind'], condition: string | null) {
    const r = parseNext(text);
    t.deepEqual(r.diagnostics, []);
    t.is(r.next?.kind, kind);
    const c = r.next && 'condition' in r.next ? r.next.condition : null;
    t.is(c ? sexpr(c) : null, condition);
  },
  title: (provided, text: string) => provided ?? `next=${text}`,
});

test(nextIs, 'always', 'always', null);
test(nextIs, 'NEVER', 'never', null);
test(nextIs, 'Loop', 'loop', null);
test(nextIs, 'loop&stdout!~2', 'loop', 'stdout!~[2]');
test(nextIs, 'loop & exit_0', 'loop', 'exit(0)');
test(nextIs, 'loop&(exit_0|stdout~done)', 'loop', 'or(exit(0), stdout~[done])');
test(nextIs, 'success', 'condition', 'success');
test(nextIs, 'exit_0|stderr~', 'condition', 'or(exit(0), stderr~[])');

test('loop&COND offsets are relative to the whole next text', (t) => {
  const ok = parseNext('loop&stdout!~2');
  t.like(ok.next, { kind: 'loop', condition: { kind: 'stream', start: 5, end: 14 } });
  const bad = parseNext('loop & stdot~2');
  t.is(bad.next, null);
  t.like(bad.diagnostics, [{ code: 'UNKNOWN_CONDITION', offset: 7, length: 7, message: "'stdot~2' is not a condition; did you mean 'stdout~2'?" }]);
});

test('loop& with nothing after it is an error at the &', (t) => {
  const r = parseNext('loop&');
  t.is(r.next, null);
  t.like(r.diagnostics, [{ code: 'MISSING_OPERAND', severity: 'error', offset: 4, length: 1 }]);
});

test('an empty next is an error', (t) => {
  const r = parseNext('');
  t.is(r.next, null);
  t.like(r.diagnostics, [{ code: 'EMPTY_CONDITION', offset: 0, length: 0 }]);
});

// formatCondition.
const formatsAs = test.macro({
  exec(t, text: string, expected: string) {
    const ast = parsed(t, text);
    t.is(formatCondition(ast), expected);
    t.is(sexpr(parsed(t, expected)), sexpr(ast), 'the canonical text parses to the same AST');
  },
  title: (provided, text: string) => provided ?? `formats ${JSON.stringify(text)}`,
});

test(formatsAs, ' exit_0 | stderr~ ', 'exit_0|stderr~');
test(formatsAs, 'exit_0&(stdout~Success|stderr~)', 'exit_0&(stdout~Success|stderr~)');
test(formatsAs, '((exit_0&exit_1))|exit_2', 'exit_0&exit_1|exit_2');
test(formatsAs, "stdout~'a|b'", 'stdout~"a|b"');
test(formatsAs, 'stdout~"a\\\\b \\"c\\""', 'stdout~"a\\\\b \\"c\\""');
test(formatsAs, 'STDOUT_COUNT >= 3', 'stdout_count>=3');
test(formatsAs, 'Success|TRUE', 'success|true');
test(formatsAs, '@X@ = "=1"', '@X@="=1"');
test(formatsAs, 'stdout="x AND exit_0"', 'stdout="x AND exit_0"');
test(formatsAs, 'not_contains:"a)b"', 'not_contains:"a)b"');

// conditionVariables.
test('conditionVariables lists every placeholder once, in order', (t) => {
  const ast = parsed(t, '@0_stdout@=@EXPECTED@&@0_exit@=@EXPECTED_EXIT@&@TRUE_VALUE@|stdout~@PAT@&stdout_count>@N@|@0_stdout@~@EXPECTED@|contains:@L@');
  t.deepEqual(conditionVariables(ast), ['0_stdout', 'EXPECTED', '0_exit', 'EXPECTED_EXIT', 'TRUE_VALUE', 'PAT', 'N', 'L']);
});

test('conditionVariables is empty for a condition without placeholders', (t) => {
  t.deepEqual(conditionVariables(parsed(t, 'exit_0&stdout~ok')), []);
});

test('CONDITION_WORDS lists the atom words', (t) => {
  for (const w of ['exit_0', 'exit_not_0', 'success', 'true', 'false', 'stdout', 'stderr', 'stdout_count', 'stderr_count']) {
    t.true(CONDITION_WORDS.includes(w), w);
  }
});
