import test from 'ava';
import { evaluateCondition, parseCondition, parseNext, type EvalContext } from '../../../shared/taskfile/condition.js';
import { context } from '../../helpers/condition-helpers.js';

type Ctx = Parameters<typeof context>[0];

const evaluates = test.macro({
  exec(t, text: string, ctx: Ctx, expected: boolean) {
    const r = parseCondition(text);
    t.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], `parses ${text}`);
    if (!r.ast) return t.fail('no AST');
    t.is(evaluateCondition(r.ast, context(ctx)), expected);
  },
  title: (provided, text: string, ctx: Ctx, expected: boolean) =>
    `${provided ? provided + ': ' : ''}${text} with ${JSON.stringify(ctx)} → ${expected}`,
});

// Precedence: the peer evaluated this as false.
test('precedence', evaluates, 'exit_1|exit_0&stdout~x', { exitCode: 0, stdout: 'x\n' }, true);
test('precedence', evaluates, 'exit_1|exit_0&stdout~x', { exitCode: 0, stdout: 'y\n' }, false);
test('precedence', evaluates, 'exit_1|exit_0&stdout~x', { exitCode: 1, stdout: 'y\n' }, true);
test('grouping', evaluates, '(exit_1|exit_0)&stdout~x', { exitCode: 1, stdout: 'y' }, false);
test('grouping', evaluates, 'exit_0&(stdout~Success|stderr~)', { exitCode: 0, stdout: 'nope', stderr: '' }, true);
test('grouping', evaluates, 'exit_0&(stdout~Success|stderr~)', { exitCode: 0, stdout: 'nope', stderr: 'warn\n' }, false);
test('grouping', evaluates, 'exit_0&(stdout~Success|stderr~)', { exitCode: 0, stdout: 'Success!', stderr: 'warn\n' }, true);
test('deep nesting', evaluates, '((exit_0|(exit_1&(stdout~a|stderr~b))))', { exitCode: 1, stderr: 'b' }, true);
test('deep nesting', evaluates, '((exit_0|(exit_1&(stdout~a|stderr~b))))', { exitCode: 1, stderr: 'c' }, false);

// exit.
test(evaluates, 'exit_0', { exitCode: 0 }, true);
test(evaluates, 'exit_0', { exitCode: 1 }, false);
test(evaluates, 'exit_124', { exitCode: 124 }, true);
test(evaluates, 'exit_not_0', { exitCode: 2 }, true);
test(evaluates, 'exit_not_0', { exitCode: 0 }, false);

// success / literals.
test(evaluates, 'success', { exitCode: 0 }, true);
test(evaluates, 'success', { exitCode: 3 }, false);
test('success follows the task result when given', evaluates, 'success', { exitCode: 0, success: false }, false);
test('success follows the task result when given', evaluates, 'SUCCESS', { exitCode: 1, success: true }, true);
test(evaluates, 'true', {}, true);
test(evaluates, 'false', {}, false);
test(evaluates, 'true&false', {}, false);
test(evaluates, 'true|false', {}, true);

// Stream patterns.
test(evaluates, 'stdout~ok', { stdout: 'all ok\n' }, true);
test('case-sensitive', evaluates, 'stdout~OK', { stdout: 'all ok\n' }, false);
test(evaluates, 'stdout!~error', { stdout: 'all ok\n' }, true);
test(evaluates, 'stdout!~ok', { stdout: 'all ok\n' }, false);
test(evaluates, 'stderr~fatal', { stderr: 'it failed' }, false);
test(evaluates, 'stderr~fail', { stderr: 'it fail' }, true);
test('trailing newline is not part of the output', evaluates, 'stdout~"ok\n"', { stdout: 'ok\n' }, false);
test('quoted pattern with |', evaluates, 'stdout~"a|b"', { stdout: 'xa|by' }, true);
test('quoted pattern with |', evaluates, 'stdout~"a|b"', { stdout: 'a' }, false);
test('legacy contains', evaluates, 'contains:ready', { stdout: 'is ready\n' }, true);
test('legacy contains', evaluates, 'not_contains:ready', { stdout: 'is ready\n' }, false);

// Empty tests: stdout strips all whitespace, stderr only trailing newlines.
test(evaluates, 'stdout~', { stdout: '' }, true);
test(evaluates, 'stdout~', { stdout: '  \n\t\n' }, true);
test(evaluates, 'stdout~', { stdout: 'x\n' }, false);
test(evaluates, 'stdout!~', { stdout: 'x\n' }, true);
test(evaluates, 'stdout!~', { stdout: ' \n' }, false);
test(evaluates, 'stderr~', { stderr: '\n\n' }, true);
test('spaces in stderr are content', evaluates, 'stderr~', { stderr: '  \n' }, false);
test('spaces in stderr are content', evaluates, 'stderr!~', { stderr: '  \n' }, true);

// Line counts.
test(evaluates, 'stdout_count=3', { stdout: 'a\nb\nc\n' }, true);
test(evaluates, 'stdout_count=3', { stdout: '\n  a\nb\nc  \n\n' }, true);
test('empty output counts 0 lines', evaluates, 'stdout_count=0', { stdout: '' }, true);
test('empty output counts 0 lines', evaluates, 'stdout_count<1', { stdout: ' \n' }, true);
test(evaluates, 'stdout_count>3', { stdout: 'a\nb\nc\n' }, false);
test(evaluates, 'stdout_count>=3', { stdout: 'a\nb\nc\n' }, true);
test(evaluates, 'stdout_count<=2', { stdout: 'a\nb\nc\n' }, false);
test(evaluates, 'stdout_count<5', { stdout: 'a\nb\nc\n' }, true);
test(evaluates, 'stderr_count=1', { stderr: 'oops\n' }, true);
test('count operand from a variable', evaluates, 'stdout_count=@N@', { stdout: 'a\nb', vars: { N: '2' } }, true);
test('count operand that is not a number is false', evaluates, 'stdout_count=@N@', { stdout: 'a\nb', vars: { N: 'two' } }, false);

// Comparisons.
test('stdout equals minus trailing newline', evaluates, 'stdout=BETA_TARGET', { stdout: 'BETA_TARGET\n' }, true);
test(evaluates, 'stdout=BETA_TARGET', { stdout: 'BETA\n' }, false);
test(evaluates, 'stdout!=FAILURE', { stdout: 'OK\n' }, true);
test(evaluates, 'stdout=yes or no', { stdout: 'yes or no\n' }, true);
test(evaluates, 'stderr=', { stderr: '' }, true);
test(evaluates, 'stderr=', { stderr: 'x' }, false);
test('numeric stdout', evaluates, 'stdout>=100', { stdout: '150\n' }, true);
test('numeric stdout', evaluates, 'stdout<50', { stdout: '150\n' }, false);
test('decimal numbers', evaluates, 'stdout>40', { stdout: '40.5\n' }, true);
test('non-numeric ordering is false', evaluates, 'stdout>40', { stdout: 'lots\n' }, false);
test('non-numeric ordering is false', evaluates, 'stdout<=40', { stdout: 'lots\n' }, false);
test('exit compared numerically', evaluates, 'exit<10', { exitCode: 3 }, true);
test('exit compared numerically', evaluates, 'exit>=10', { exitCode: 3 }, false);
test('exit compared numerically', evaluates, 'exit!=0', { exitCode: 3 }, true);
test('typed equality: 01 = 1', evaluates, '@X@=1', { vars: { X: '01' } }, true);
test('typed equality: 1.0 = 1', evaluates, '@X@=1', { vars: { X: '1.0' } }, true);
test('typed equality: True = true', evaluates, '@0_success@=true', { vars: { '0_success': 'True' } }, true);
test('typed equality: False != true', evaluates, '@0_success@=true', { vars: { '0_success': 'False' } }, false);
test('equality trims', evaluates, '@X@=abc', { vars: { X: '  abc ' } }, true);
test('string inequality', evaluates, '@X@!=abc', { vars: { X: 'abd' } }, true);
test('big integers compare exactly', evaluates, '@X@=12345678901234567890', { vars: { X: '12345678901234567891' } }, false);
test('substring compare', evaluates, '@0_stdout@~production', { vars: { '0_stdout': 'env: production' } }, true);
test('substring compare', evaluates, '@0_stdout@!~production', { vars: { '0_stdout': 'env: production' } }, false);
test('substring compare with = in the value', evaluates, '@2_stdout@~key2=value2', { vars: { '2_stdout': 'key1=value1 key2=value2' } }, true);
test('both sides resolved', evaluates, '@1_stdout@>=@MAX@', { vars: { '1_stdout': '20', MAX: '15' } }, true);
test('both sides resolved', evaluates, '@1_stdout@>=@MAX@', { vars: { '1_stdout': '2', MAX: '15' } }, false);
test('an unresolved placeholder stays literal', evaluates, '@0_exit@=0', {}, false);
test('an unresolved placeholder stays literal', evaluates, '@0_exit@!=0', {}, true);
test('literal words', evaluates, 'web-01=web-01', {}, true);

// Bare placeholders.
for (const value of ['true', 'True', 'TRUE', '1', 'yes', 'Yes']) {
  test('truthy', evaluates, '@V@', { vars: { V: value } }, true);
}
for (const value of ['false', 'False', '0', 'no', '', 'maybe']) {
  test('falsy', evaluates, '@V@', { vars: { V: value } }, false);
}
test('unresolved placeholder is false', evaluates, '@MISSING@', {}, false);
test('a placeholder holding a condition is evaluated as one', evaluates, '@SUCCESS_COND@', { exitCode: 0, vars: { SUCCESS_COND: 'exit_0' } }, true);
test('a placeholder holding a condition is evaluated as one', evaluates, '@SUCCESS_COND@', { exitCode: 1, vars: { SUCCESS_COND: 'exit_0' } }, false);
test('a self-referencing placeholder is false, not a hang', evaluates, '@A@', { vars: { A: '@B@|@A@', B: 'no' } }, false);

// Substitution never changes structure.
test('a resolved value containing | does not split the expression', evaluates, 'stdout~@P@&exit_0', { exitCode: 1, stdout: 'x|exit_1', vars: { P: 'x|exit_1' } }, false);
test('a resolved value containing | does not split the expression', evaluates, 'stdout~@P@', { stdout: 'x', vars: { P: 'x|exit_0' } }, false);
test('a resolved value containing | is matched whole', evaluates, 'stdout~@P@', { stdout: 'a x|exit_0 b', vars: { P: 'x|exit_0' } }, true);
test('a resolved value containing & does not split the expression', evaluates, '@X@=a&exit_0', { exitCode: 0, vars: { X: 'b&true' } }, false);
test('a resolved value with parentheses stays text', evaluates, '@X@=(a', { vars: { X: '(a' } }, true);
test('a pattern that resolves to empty tests for empty output', evaluates, 'stdout~@P@', { stdout: '', vars: { P: '' } }, true);
test('a pattern that resolves to empty tests for empty output', evaluates, 'stdout~@P@', { stdout: 'x', vars: { P: '' } }, false);
test('pattern from a variable', evaluates, 'exit_0&stdout~@SUCCESS_PATTERN@', { stdout: 'job COMPLETED', vars: { SUCCESS_PATTERN: 'COMPLETED' } }, true);

test('resolve is called with the raw operand text', (t) => {
  const seen: string[] = [];
  const ctx: EvalContext = {
    exitCode: 0,
    stdout: 'hello world',
    stderr: '',
    resolve: (text) => {
      seen.push(text);
      return text.replace('@W@', 'world');
    },
  };
  const { ast } = parseCondition('stdout~"hello @W@"&@A@=@B@');
  if (!ast) return t.fail('no AST');
  t.false(evaluateCondition(ast, ctx));
  t.deepEqual(seen, ['hello @W@', '@A@', '@B@']);
});

test('a throwing resolver does not make evaluation throw', (t) => {
  const { ast } = parseCondition('@X@=1|stdout~@P@');
  if (!ast) return t.fail('no AST');
  const ctx: EvalContext = { exitCode: 0, stdout: '@P@', stderr: '', resolve: () => { throw new Error('boom'); } };
  t.true(evaluateCondition(ast, ctx));
});

test('loop&COND from parseNext evaluates its condition', (t) => {
  const { next } = parseNext('loop&stdout!~2');
  if (next?.kind !== 'loop' || !next.condition) return t.fail('expected loop with a condition');
  t.true(evaluateCondition(next.condition, context({ stdout: '1\n' })));
  t.false(evaluateCondition(next.condition, context({ stdout: '2\n' })));
});
