/** An unquoted pattern holding an operator is read as the whole text, with a warning (SPEC §2a). */
import test from 'ava';
import { evaluateCondition, parseCondition } from '../../../shared/taskfile/condition.js';

const warns = test.macro({
  exec(t, text: string, offset: number, value: string, quoted: string) {
    const r = parseCondition(text);
    t.truthy(r.ast, 'still a condition: a warning, not an error');
    t.deepEqual(r.diagnostics.map((d) => [d.severity, d.code, d.offset, d.length]), [['warning', 'AMBIGUOUS_PATTERN', offset, value.length]]);
    t.is(r.diagnostics[0]!.hint, `quote it to say so: ${quoted}`);
  },
  title: (_p, text: string) => `${text} warns`,
});

test(warns, 'stdout~a >= 5', 7, 'a >= 5', 'stdout~"a >= 5"');
test(warns, 'stderr!~x<y', 8, 'x<y', 'stderr!~"x<y"');
test(warns, 'exit_0&@0_stdout@~k=v', 18, 'k=v', '@0_stdout@~"k=v"');
test(warns, 'stdout~say "a=b"', 7, 'say "a=b"', `stdout~'say "a=b"'`);

const quiet = test.macro({
  exec(t, text: string) {
    t.deepEqual(parseCondition(text).diagnostics, []);
  },
  title: (_p, text: string) => `${text}: no warning`,
});

test(quiet, 'stdout~"a >= 5"');
test(quiet, "stdout~'x<y'");
test(quiet, 'stdout~ready&exit_0');
test(quiet, '@0_stdout@>=5');
test(quiet, 'stdout_count>=3');

test('the whole text is the pattern, as the warning says', (t) => {
  const ast = parseCondition('stdout~a >= 5').ast!;
  const at = (stdout: string): boolean => evaluateCondition(ast, { exitCode: 0, stdout, stderr: '', resolve: (s) => s });
  t.true(at('load a >= 5 now'));
  t.false(at('a'));
});
