import test from 'ava';
import fc from 'fast-check';
import { splitArgs, quoteArg } from '../../../shared/exec/split-args.js';
import { runProcess } from '../../../shared/exec/run-process.js';

const splits = test.macro({
  exec(t, input: string, expected: string[]) {
    t.deepEqual(splitArgs(input), { args: expected });
  },
  title: (given, input: string) => given ?? `splits ${JSON.stringify(input)}`,
});

test(splits, '', []);
test(splits, '   \t\n ', []);
test(splits, 'a b  c', ['a', 'b', 'c']);
test(splits, '  lead and trail  ', ['lead', 'and', 'trail']);
test(splits, "'a b' c", ['a b', 'c']);
test(splits, `'it''s'`, ['its']);
test(splits, `'$HOME \\n "x"'`, ['$HOME \\n "x"']);
test(splits, '"a b" "c\\"d" "e\\\\f" "g\\$h" "i\\`j" "k\\nl"', ['a b', 'c"d', 'e\\f', 'g$h', 'i`j', 'k\\nl']);
test(splits, 'a\\ b c\\"d \\\\', ['a b', 'c"d', '\\']);
test(splits, "x'y'\"z\"w", ['xyzw']);
test(splits, "'' \"\" a", ['', '', 'a']);
test(splits, 'no $EXPANSION *.glob ~ ; | && $(x)', ['no', '$EXPANSION', '*.glob', '~', ';', '|', '&&', '$(x)']);
test(splits, 'a\\\nb', ['ab']);
test(splits, 'a \\\n b', ['a', 'b']);
test(splits, '"multi\\\nline"', ['multiline']);
test(splits, 'tab\tsep\nnew', ['tab', 'sep', 'new']);
test(splits, 'héllo "wörld ✓"', ['héllo', 'wörld ✓']);

const fails = test.macro({
  exec(t, input: string, error: string) {
    t.is(splitArgs(input).error, error);
  },
  title: (given, input: string) => given ?? `rejects ${JSON.stringify(input)}`,
});
test(fails, "echo 'abc", 'unterminated single quote starting at column 6');
test(fails, 'a "b\\"', 'unterminated double quote starting at column 3');
test(fails, 'abc \\', 'trailing backslash at column 5 escapes nothing');

test('quoteArg round-trips through splitArgs (property)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 }), (words) => {
      const r = splitArgs(words.map(quoteArg).join(' '));
      return r.error === undefined && JSON.stringify(r.args) === JSON.stringify(words);
    }),
  );
  t.is(quoteArg('plain-word_1.txt'), 'plain-word_1.txt');
  t.is(quoteArg("it's"), `'it'\\''s'`);
  t.is(quoteArg(''), "''");
});

test('splitArgs never throws; every error names a column (property)', (t) => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      const r = splitArgs(s);
      return Array.isArray(r.args) && (r.error === undefined || /column \d+/.test(r.error));
    }),
  );
  t.deepEqual(splitArgs('x').args, ['x']);
});

test('splits quoting like a real /bin/sh (inputs without expansion characters)', async (t) => {
  const inputs = [
    `a 'b c' "d e" f\\ g`,
    `"x\\"y" 'q"q' "s'q"`,
    `one\\ttwo "a\\b" 'c\\d' \\'`,
    `"" '' x""y`,
    `"esc \\\\ \\" end"`,
  ];
  for (const input of inputs) {
    const r = await runProcess({ argv: ['/bin/sh', '-c', `printf '%s\\0' ${input}`] });
    t.is(r.exitCode, 0, input);
    const fromSh = r.stdout.split('\0').slice(0, -1);
    t.deepEqual(splitArgs(input).args, fromSh, input);
  }
});
