import test from 'ava';
import { parseCondition, parseNext } from '../../../shared/taskfile/condition.js';

interface Expected {
  code: string;
  offset: number;
  length: number;
  message?: string;
  hint?: string;
  severity?: 'error' | 'warning';
}

const rejects = test.macro({
  exec(t, text: string, expected: Expected[]) {
    const r = parseCondition(text);
    t.is(r.ast, null, 'no AST when there is an error');
    t.deepEqual(
      r.diagnostics.map((d) => ({ code: d.code, offset: d.offset, length: d.length })),
      expected.map((e) => ({ code: e.code, offset: e.offset, length: e.length })),
    );
    expected.forEach((e, i) => {
      const d = r.diagnostics[i]!;
      t.is(d.severity, e.severity ?? 'error');
      if (e.message !== undefined) t.is(d.message, e.message);
      if (e.hint !== undefined) t.is(d.hint, e.hint);
    });
  },
  title: (provided, text: string, expected: Expected[]) => provided ?? `${JSON.stringify(text)} → ${expected.map((e) => e.code).join(', ')}`,
});

test(rejects, '', [{ code: 'EMPTY_CONDITION', offset: 0, length: 0, message: 'the condition is empty' }]);
test(rejects, '   ', [{ code: 'EMPTY_CONDITION', offset: 0, length: 3 }]);

// Parentheses.
test(rejects, '(exit_0', [{ code: 'UNCLOSED_PAREN', offset: 0, length: 1, message: "missing ')' for the '(' opened at column 1" }]);
test(rejects, 'exit_0&((stdout~a|exit_1)', [{ code: 'UNCLOSED_PAREN', offset: 7, length: 1, message: "missing ')' for the '(' opened at column 8" }]);
test(rejects, 'exit_0)', [{ code: 'UNEXPECTED_CLOSE_PAREN', offset: 6, length: 1, message: "')' closes nothing" }]);
test(rejects, '(exit_0))|exit_1', [{ code: 'UNEXPECTED_CLOSE_PAREN', offset: 8, length: 1 }]);
test(rejects, ')', [{ code: 'UNEXPECTED_CLOSE_PAREN', offset: 0, length: 1 }]);
test(rejects, 'exit_0&()', [{ code: 'EMPTY_PARENS', offset: 7, length: 2 }]);
test(rejects, '( )', [{ code: 'EMPTY_PARENS', offset: 0, length: 3 }]);
test('an operand may hold a balanced ( but an unbalanced one leaves the group open', rejects, '(stdout~(a)', [{ code: 'UNCLOSED_PAREN', offset: 0, length: 1 }]);

// Operators.
test(rejects, '&exit_0', [{ code: 'MISSING_OPERAND', offset: 0, length: 1, message: "'&' has no condition before it" }]);
test(rejects, '|exit_0', [{ code: 'MISSING_OPERAND', offset: 0, length: 1, message: "'|' has no condition before it" }]);
test(rejects, 'exit_0&', [{ code: 'MISSING_OPERAND', offset: 6, length: 1, message: "'&' has no condition after it" }]);
test(rejects, 'exit_0 | ', [{ code: 'MISSING_OPERAND', offset: 7, length: 1 }]);
test(rejects, '(exit_0|)', [{ code: 'MISSING_OPERAND', offset: 7, length: 1 }]);
test(rejects, 'exit_0&&exit_1', [{ code: 'DOUBLE_OPERATOR', offset: 6, length: 2, message: "'&&' is not an operator" }]);
test(rejects, 'exit_0||exit_1', [{ code: 'DOUBLE_OPERATOR', offset: 6, length: 2, message: "'||' is not an operator" }]);
test(rejects, 'exit_0&|exit_1', [{ code: 'DOUBLE_OPERATOR', offset: 6, length: 2, message: "'&|' is not an operator" }]);
test(rejects, 'exit_0 & | exit_1', [{ code: 'DOUBLE_OPERATOR', offset: 7, length: 3 }]);
test(rejects, 'exit_0 exit_1', [{ code: 'MISSING_OPERATOR', offset: 7, length: 6, message: "expected '&', '|' or ')' before 'exit_1'" }]);
test(rejects, '(exit_0)(exit_1)', [{ code: 'MISSING_OPERATOR', offset: 8, length: 8 }]);
test('junk after a condition is skipped up to the next operator', rejects, 'exit_0 foo "a|b" bar | exit_1', [{ code: 'MISSING_OPERATOR', offset: 7, length: 13, message: "expected '&', '|' or ')' before 'foo'" }]);
test(rejects, '!exit_0', [{ code: 'UNEXPECTED_CHARACTER', offset: 0, length: 1, hint: 'negate with exit_not_0, stdout!~TEXT or !=' }]);

// Textual operators.
test(rejects, 'exit_0 AND stdout~ok', [{ code: 'TEXTUAL_OPERATOR', offset: 7, length: 3, message: "'AND' is not an operator", hint: "use '&' for AND" }]);
test(rejects, 'exit_0 OR exit_1', [{ code: 'TEXTUAL_OPERATOR', offset: 7, length: 2, message: "'OR' is not an operator", hint: "use '|' for OR" }]);
test(rejects, 'exit_0 and exit_1', [{ code: 'TEXTUAL_OPERATOR', offset: 7, length: 3 }]);
test(rejects, 'NOT exit_0', [{ code: 'TEXTUAL_OPERATOR', offset: 0, length: 3, message: "'NOT' is not an operator" }]);
test(rejects, 'exit_0&not (stdout~x)', [{ code: 'TEXTUAL_OPERATOR', offset: 7, length: 3 }]);
test('an upper-case AND before a condition ends a pattern', rejects, 'stdout~ok AND exit_0', [{ code: 'TEXTUAL_OPERATOR', offset: 10, length: 3 }]);
test(rejects, '"x" AND exit_0', [
  { code: 'UNKNOWN_CONDITION', offset: 0, length: 3 },
  { code: 'TEXTUAL_OPERATOR', offset: 4, length: 3 },
]);

// exit.
test(rejects, 'exit=0', [{ code: 'EXIT_COMPARISON', offset: 0, length: 6, message: "'exit=0' is not a condition; use exit_0", hint: 'write exit_0 to test the exit code' }]);
test(rejects, 'stdout~x|exit = 2', [{ code: 'EXIT_COMPARISON', offset: 9, length: 8 }]);
test(rejects, 'exit', [{ code: 'INCOMPLETE_CONDITION', offset: 0, length: 4 }]);
test(rejects, 'exit_0=1', [{ code: 'UNKNOWN_CONDITION', offset: 0, length: 8 }]);

// Counts.
test(rejects, 'stdout_count==3', [{ code: 'DOUBLE_EQUALS', offset: 12, length: 2, hint: "use a single '=' to compare" }]);
test(rejects, 'stdout_count>abc', [{ code: 'BAD_COUNT_OPERAND', offset: 13, length: 3, message: "'abc' is not a line count" }]);
test(rejects, 'stderr_count<', [{ code: 'BAD_COUNT_OPERAND', offset: 13, length: 0, message: "'stderr_count<' needs a number" }]);
test(rejects, 'stdout_count=-1', [{ code: 'BAD_COUNT_OPERAND', offset: 13, length: 2 }]);
test(rejects, 'stdout_count=1.5', [{ code: 'BAD_COUNT_OPERAND', offset: 13, length: 3 }]);
test(rejects, 'stdout_count!=3', [{ code: 'BAD_COUNT_OPERATOR', offset: 12, length: 2 }]);
test(rejects, 'stdout_count~3', [{ code: 'BAD_COUNT_OPERATOR', offset: 12, length: 1 }]);
test(rejects, 'stdout_count', [{ code: 'INCOMPLETE_CONDITION', offset: 0, length: 12 }]);

// Comparisons.
test(rejects, '@X@==1', [{ code: 'DOUBLE_EQUALS', offset: 3, length: 2 }]);
test(rejects, 'exit_0&=1', [{ code: 'MISSING_OPERAND', offset: 7, length: 1, message: "'=' has nothing on its left" }]);
test(rejects, 'stdout', [{ code: 'INCOMPLETE_CONDITION', offset: 0, length: 6, message: "'stdout' needs an operator" }]);

// Quotes.
test(rejects, 'stdout~"abc', [{ code: 'UNTERMINATED_QUOTE', offset: 7, length: 4, message: 'the double quote opened at column 8 is never closed' }]);
test(rejects, "exit_0&stderr~'a|b", [{ code: 'UNTERMINATED_QUOTE', offset: 14, length: 4, message: 'the single quote opened at column 15 is never closed' }]);
test(rejects, 'stdout~"a"b|exit_0', [{ code: 'UNEXPECTED_TEXT', offset: 10, length: 1 }]);

// Unknown words and suggestions.
const suggests = test.macro({
  exec(t, text: string, offset: number, length: number, message: string) {
    const r = parseCondition(text);
    t.is(r.ast, null);
    t.deepEqual(r.diagnostics.map((d) => [d.code, d.offset, d.length, d.message]), [['UNKNOWN_CONDITION', offset, length, message]]);
  },
  title: (provided, text: string) => provided ?? `did-you-mean for ${JSON.stringify(text)}`,
});

test(suggests, 'stdot~ok', 0, 8, "'stdot~ok' is not a condition; did you mean 'stdout~ok'?");
test(suggests, 'exit0', 0, 5, "'exit0' is not a condition; did you mean 'exit_0'?");
test(suggests, 'exit_1|exit2', 7, 5, "'exit2' is not a condition; did you mean 'exit_2'?");
test(suggests, 'sucess', 0, 6, "'sucess' is not a condition; did you mean 'success'?");
test(suggests, 'exit_0&(sderr!~x)', 8, 8, "'sderr!~x' is not a condition; did you mean 'stderr!~x'?");
test(suggests, 'exit_not0', 0, 9, "'exit_not0' is not a condition; did you mean 'exit_not_0'?");
test(suggests, 'stdout_cont>3', 0, 13, "'stdout_cont>3' is not a condition; did you mean 'stdout_count>3'?");
test(suggests, 'tru', 0, 3, "'tru' is not a condition; did you mean 'true'?");
test(suggests, 'frobnicate', 0, 10, "'frobnicate' is not a condition");

test('an unknown word without a suggestion lists the known conditions in its hint', (t) => {
  const [d] = parseCondition('frobnicate').diagnostics;
  t.regex(d?.hint ?? '', /exit_N, exit_not_0, success/);
});

test('the parser keeps going and reports every problem', (t) => {
  const r = parseCondition('stdot~a & (exit0 | sucess) & exit_0&&exit_1 & (x');
  t.is(r.ast, null);
  t.deepEqual(
    r.diagnostics.map((d) => [d.code, d.offset]),
    [
      ['UNKNOWN_CONDITION', 0],
      ['UNKNOWN_CONDITION', 11],
      ['UNKNOWN_CONDITION', 19],
      ['DOUBLE_OPERATOR', 35],
      ['UNKNOWN_CONDITION', 47],
      ['UNCLOSED_PAREN', 46],
    ],
  );
});

test('exit_N above 255 is a warning, and the AST is kept', (t) => {
  const r = parseCondition('exit_256|exit_0');
  t.truthy(r.ast);
  t.deepEqual(r.diagnostics, [
    { code: 'EXIT_CODE_RANGE', severity: 'warning', offset: 0, length: 8, message: "exit codes are 0 to 255, so 'exit_256' is never true" },
  ]);
});

test('deep nesting beyond the limit is reported, not a stack overflow', (t) => {
  const text = '('.repeat(5000) + 'exit_0' + ')'.repeat(5000);
  const r = parseCondition(text);
  t.is(r.ast, null);
  t.is(r.diagnostics[0]?.code, 'NESTING_TOO_DEEP');
  t.is(r.diagnostics[0]?.offset, 200);
});

test('10k nested parentheses give ONE nesting error: the groups around it do not report UNCLOSED_PAREN', (t) => {
  for (const text of ['('.repeat(10_000) + 'exit_0' + ')'.repeat(10_000), '('.repeat(10_000) + 'exit_0', 'exit_0&' + '(('.repeat(5_000)]) {
    const r = parseCondition(text);
    t.is(r.ast, null);
    t.deepEqual(r.diagnostics.map((d) => d.code), ['NESTING_TOO_DEEP']);
  }
});

test('a run of a million NOTs or stray "!"s is a loop, not a stack overflow, and keeps at most ~100 diagnostics', (t) => {
  for (const text of ['!'.repeat(1_000_000), 'not '.repeat(250_000) + 'exit_0', 'a&'.repeat(500_000) + 'a']) {
    const r = parseCondition(text);
    t.is(r.ast, null);
    t.true(r.diagnostics.length <= 101, `${r.diagnostics.length} diagnostics`);
    t.is(r.diagnostics.at(-1)!.code, 'TOO_MANY_DIAGNOSTICS');
    t.regex(r.diagnostics.at(-1)!.message, /^\d+ more problem\(s\) in this condition were not reported$/);
  }
});

test('parseNext reports condition errors with offsets into the whole text', (t) => {
  const r = parseNext('loop&(exit_0');
  t.is(r.next, null);
  t.like(r.diagnostics, [{ code: 'UNCLOSED_PAREN', offset: 5, length: 1, message: "missing ')' for the '(' opened at column 6" }]);
});

test('parseNext rejects an unknown word with a suggestion', (t) => {
  const r = parseNext('alwyas');
  t.is(r.next, null);
  t.like(r.diagnostics, [{ code: 'UNKNOWN_CONDITION', offset: 0, length: 6, message: "'alwyas' is not a condition; did you mean 'always'?" }]);
});

test('block rules are not conditions', rejects, 'exit_0&all_success', [{ code: 'BLOCK_CONDITION', offset: 7, length: 11, message: "'all_success' is a block rule, not a condition" }]);
test('block rules with a number are not conditions either', rejects, 'min_success=3', [{ code: 'BLOCK_CONDITION', offset: 0, length: 13, message: "'min_success=3' is a block rule, not a condition" }]);

test('always/never/loop combined with a condition get a specific message', (t) => {
  const r = parseNext('exit_0|loop');
  t.is(r.next, null);
  t.like(r.diagnostics, [
    { code: 'UNKNOWN_CONDITION', offset: 7, length: 4, message: "'loop' cannot be combined with a condition here", hint: "'always' and 'never' stand alone; 'loop' stands alone or as loop&CONDITION" },
  ]);
});
