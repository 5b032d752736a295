/**
 * Explained conditions: every operator and form shows the values it compared, the result equals
 * evaluateCondition's, and odd operands (not a number, an unexpanded variable) are named.
 */
import test from 'ava';
import { evaluateCondition, parseCondition, parseNext } from '../../../shared/taskfile/condition.js';
import { EXCERPT_LIMIT, excerpt, explainCondition, MAX_TERMS } from '../../../shared/taskfile/explain.js';
import { textOutput } from '../../../shared/taskfile/output-view.js';
import { context } from '../../helpers/condition-helpers.js';

type Ctx = Parameters<typeof context>[0];

function explain(text: string, ctx: Ctx = {}, mask?: (s: string) => string) {
  const parsed = parseCondition(text);
  if (!parsed.ast) throw new Error(`does not parse: ${text}`);
  const c = context(ctx);
  const explained = explainCondition(parsed.ast, c, mask);
  return { ...explained, plain: evaluateCondition(parsed.ast, c), lines: explained.terms.map((t) => `${t.expr}: ${t.values} → ${t.result}`) };
}

const explains = test.macro({
  exec(t, text: string, ctx: Ctx, expected: string[]) {
    const r = explain(text, ctx);
    t.deepEqual(r.lines, expected);
    t.is(r.result, r.plain, 'the explained result is the plain evaluation');
    t.is(r.terms[r.terms.length - 1]!.result, r.result, 'the last term is the whole condition');
  },
  title: (provided, text: string) => `${provided ? `${provided}: ` : ''}${text}`,
});

test(explains, 'exit_0', { exitCode: 0 }, ['exit_0: 0 = 0 → true']);
test(explains, 'exit_2', { exitCode: 0 }, ['exit_2: 0 = 2 → false']);
test(explains, 'exit_not_0', { exitCode: 3 }, ['exit_not_0: 3 != 0 → true']);
test(explains, 'success', { exitCode: 0, success: false }, ['success: task success false → false']);
test('success without a task result', explains, 'success', { exitCode: 1 }, ['success: exit code 1 → false']);
test(explains, 'true', {}, ['true: literal → true']);
test(explains, 'stdout~active', { stdout: 'inactive\n' }, ['stdout~active: "inactive" contains "active" → true']);
test(explains, 'stdout!~error', { stdout: 'all ok\n' }, ['stdout!~error: "all ok" does not contain "error" → true']);
test(explains, 'stderr~fatal', { stderr: 'warn: x\n' }, ['stderr~fatal: "warn: x" contains "fatal" → false']);
test('empty test', explains, 'stdout~', { stdout: '  \n' }, ['stdout~: stdout "" is empty → true']);
test('empty test', explains, 'stderr!~', { stderr: 'oops\n' }, ['stderr!~: stderr "oops" is not empty → true']);
test('legacy contains', explains, 'contains:ready', { stdout: 'is ready\n' }, ['contains:ready: "is ready" contains "ready" → true']);
test('legacy contains', explains, 'not_contains:ready', { stdout: 'is ready\n' }, ['not_contains:ready: "is ready" does not contain "ready" → false']);
test(explains, 'stdout_count>2', { stdout: 'a\nb\nc\n' }, ['stdout_count>2: 3 lines > 2 → true']);
test(explains, 'stderr_count=1', { stderr: 'x\n' }, ['stderr_count=1: 1 line = 1 → true']);
test(explains, 'stdout_count<=0', { stdout: '' }, ['stdout_count<=0: 0 lines <= 0 → true']);
test(explains, 'stdout_count>=@N@', { stdout: 'a\n', vars: { N: 'two' } }, ['stdout_count>=@N@: 1 line >= "two" (not a whole number) → false']);
test('the issue\'s comparison', explains, '@0_stdout@<@LIMIT@', { vars: { '0_stdout': '0.88', LIMIT: '4' } }, ['@0_stdout@<@LIMIT@: "0.88" < "4" → true']);
test(explains, '@A@=@B@', { vars: { A: '01', B: '1' } }, ['@A@=@B@: "01" = "1" → true']);
test(explains, '@A@!=x', { vars: { A: 'x' } }, ['@A@!=x: "x" != "x" → false']);
test(explains, '@A@>10', { vars: { A: '9' } }, ['@A@>10: "9" > "10" → false']);
test(explains, '@A@>=9', { vars: { A: '9' } }, ['@A@>=9: "9" >= "9" → true']);
test(explains, '@A@<=1.5', { vars: { A: '2' } }, ['@A@<=1.5: "2" <= "1.5" → false']);
test(explains, '@A@~act', { vars: { A: 'inactive' } }, ['@A@~act: "inactive" contains "act" → true']);
test(explains, '@A@!~act', { vars: { A: 'inactive' } }, ['@A@!~act: "inactive" does not contain "act" → false']);
test('exit compared as a number', explains, 'exit>1', { exitCode: 3 }, ['exit>1: 3 > "1" → true']);
test('stdout compared', explains, 'stdout=ready', { stdout: 'ready\n' }, ['stdout=ready: "ready" = "ready" → true']);
test('a non-number in a numeric comparison', explains, '@L@<5', { vars: { L: 'high' } }, ['@L@<5: "high" < "5" (not a number) → false']);
test('truthy placeholder', explains, '@0_success@', { vars: { '0_success': 'true' } }, ['@0_success@: "true" → true']);
test('truthy placeholder not defined', explains, '@9_success@', {}, ['@9_success@: "@9_success@" (not defined) → false']);
test('a placeholder holding a condition', explains, '@OK@', { exitCode: 0, vars: { OK: 'exit_0' } }, [
  'exit_0: 0 = 0 → true',
  '@OK@: "exit_0" (a condition, true) → true',
]);
test('and', explains, 'exit_0&stdout~ok', { exitCode: 0, stdout: 'nope' }, [
  'exit_0: 0 = 0 → true',
  'stdout~ok: "nope" contains "ok" → false',
  'exit_0&stdout~ok: true & false → false',
]);
test('and stops at the first false term', explains, 'exit_1&stdout~ok', { exitCode: 0 }, [
  'exit_1: 0 = 1 → false',
  'exit_1&stdout~ok: false & (not evaluated) → false',
]);
test('or and grouping', explains, 'exit_1|(exit_0&stderr~)', { exitCode: 0, stderr: '' }, [
  'exit_1: 0 = 1 → false',
  'exit_0: 0 = 0 → true',
  'stderr~: stderr "" is empty → true',
  'exit_0&stderr~: true & true → true',
  'exit_1|exit_0&stderr~: false | true → true',
]);

test('next=loop&COND explains its condition', (t) => {
  const { next } = parseNext('loop&stdout~again');
  if (next?.kind !== 'loop' || !next.condition) return t.fail('not a loop condition');
  const r = explainCondition(next.condition, context({ stdout: 'again\n' }));
  t.deepEqual(r.terms, [{ expr: 'stdout~again', values: '"again" contains "again"', result: true }]);
});

test('the explained result equals evaluateCondition on every case above and odd ones', (t) => {
  const cases: [string, Ctx][] = [
    ['stdout=x', { stdout: 'x'.repeat(2 * 1024 * 1024) }],
    ['stdout!=x', { stdout: 'x'.repeat(2 * 1024 * 1024) }],
    ['stdout<3', { stdout: 'x'.repeat(2 * 1024 * 1024) }],
    ['@A@<@B@', { vars: { A: '1e3', B: '2' } }],
    ['stdout_count=@N@', { stdout: 'a\nb', vars: { N: '-2' } }],
    ['true|false&@X@', { vars: { X: 'yes' } }],
  ];
  for (const [text, ctx] of cases) {
    const r = explain(text, ctx);
    t.is(r.result, r.plain, text);
  }
});

test('an output too long to compare is named, not shown', (t) => {
  const r = explain('stdout<3', { stdout: 'x'.repeat(2 * 1024 * 1024) });
  t.deepEqual(r.lines, ['stdout<3: (output longer than 1 MiB) < "3" (not a number) → false']);
  t.is(r.warnings.length, 1);
  t.regex(r.warnings[0]!.message, /an output longer than 1 MiB is not a number/);
});

test('values are excerpts of at most EXCERPT_LIMIT characters, cut with … around the match', (t) => {
  const out = `${'a'.repeat(5000)}NEEDLE${'b'.repeat(5000)}`;
  const r = explain('stdout~NEEDLE', { stdout: out });
  const shown = JSON.parse(r.terms[0]!.values.split(' contains ')[0]!) as string;
  t.true(shown.startsWith('…') && shown.endsWith('…'));
  t.true(shown.includes('NEEDLE'), 'the excerpt shows where the pattern was found');
  t.true(shown.length <= EXCERPT_LIMIT + 2);
  t.is(excerpt('short'), 'short');
  t.is(excerpt('x'.repeat(300)), `${'x'.repeat(EXCERPT_LIMIT)}…`);
  // A cut never splits a surrogate pair.
  const emoji = excerpt(`${'x'.repeat(EXCERPT_LIMIT - 1)}😀tail`);
  t.false(/[\ud800-\udbff]…$/.test(emoji));
});

test('control characters and quotes are escaped in values', (t) => {
  const r = explain('stdout~ok', { stdout: 'a"b\x1b[31mok\tz' });
  t.is(r.terms[0]!.values, '"a\\"b\\u001b[31mok\\tz" contains "ok"');
});

test('values are masked before they are cut, so a secret is never shown in part', (t) => {
  const secret = 'hunter2-topsecret';
  const mask = (s: string): string => s.split(secret).join('<masked>');
  const out = `${'a'.repeat(190)}${secret}${'b'.repeat(400)} ok`;
  const r = explain('stdout~zzz', { stdout: out }, mask);
  t.false(r.terms[0]!.values.includes('hunter2'), r.terms[0]!.values);
  const cmp = explain('@P@=x', { vars: { P: secret } }, mask);
  t.is(cmp.terms[0]!.values, '"<masked>" = "x"');
});

test('a spilled stream says its excerpt is the head kept in memory', (t) => {
  const parsed = parseCondition('stdout~tail');
  const ctx = { ...context({ stdout: 'head\n' }), stdoutView: textOutput('head\nmiddle\ntail\n') };
  const r = explainCondition(parsed.ast!, ctx);
  t.true(r.result);
  t.is(r.terms[0]!.values, '"head" (the head kept in memory; the whole stream was searched) contains "tail"');
});

const warns = test.macro({
  exec(t, text: string, ctx: Ctx, expected: RegExp | undefined) {
    const r = explain(text, ctx);
    if (expected === undefined) return t.deepEqual(r.warnings, []);
    t.is(r.warnings.length, 1, JSON.stringify(r.warnings));
    t.regex(r.warnings[0]!.message, expected);
  },
  title: (provided, text: string, ctx: Ctx) => `warning: ${provided ?? ''} ${text} with ${JSON.stringify(ctx)}`,
});

test('${X:-4} left literal', warns, '@0_stdout@<@LIMIT@', { vars: { '0_stdout': '0.88', LIMIT: '${MAXLOAD:-4}' } }, /"\$\{MAXLOAD:-4\}" still looks like an unexpanded variable .*numeric comparison is false/);
test('$X left literal', warns, '@A@=$HOME', { vars: { A: '/root' } }, /"\$HOME" still looks like an unexpanded variable/);
test('@X@ not resolved', warns, '@3_stdout@=ok', {}, /"@3_stdout@" still looks like an unexpanded variable \(@3_stdout@ is neither a global nor a result of a task that ran\)/);
test('not a number', warns, '@L@>=2', { vars: { L: 'high' } }, /"high" is not a number, so the comparison @L@>=2 is false/);
test('count operand not a whole number', warns, 'stdout_count<@N@', { vars: { N: '2.5' } }, /"2.5" is not a whole number/);
test('an unresolved placeholder in a pattern', warns, 'stdout~@9_stdout@', {}, /"@9_stdout@" still looks like an unexpanded variable/);
test('a truthy placeholder never resolved', warns, '@7_success@', {}, /still looks like an unexpanded variable/);
test('numbers compare without a warning', warns, '@A@<4', { vars: { A: '0.88' } }, undefined);
test('= compares text without a warning', warns, '@A@=abc', { vars: { A: 'abc' } }, undefined);
test('a $ in a pattern is text, not a variable', warns, 'stdout~$PATH', { stdout: 'echo $PATH' }, undefined);

test('a condition with very many terms keeps the first ones and the whole condition', (t) => {
  const text = Array.from({ length: 120 }, (_, i) => `exit_${i + 1}`).join('|');
  const r = explain(text, { exitCode: 0 });
  t.is(r.terms.length, MAX_TERMS);
  t.is(r.terms[MAX_TERMS - 2]!.expr, '…');
  t.regex(r.terms[MAX_TERMS - 2]!.values, /^72 more terms not shown$/);
  t.is(r.terms[MAX_TERMS - 1]!.expr, text);
  t.false(r.result);
});
