import test from 'ava';
import { allEnvReferences, expandEnvText, MAX_DEFAULT_DEPTH, scanEnv } from '../../../shared/taskfile/env-expand.js';

const ENV = { HOME: '/root', EMPTY: '', TASKER_X: 'x' };

const expandsTo = test.macro({
  exec(t, text: string, expected: string, missing: string[] = []) {
    const r = expandEnvText(text, ENV);
    t.is(r.text, expected);
    t.deepEqual(r.missing.map((m) => m.name), missing);
    t.deepEqual(r.bad, []);
  },
  title: (provided, text: string, expected: string) => provided ?? `${text} → ${expected}`,
});

test(expandsTo, '$HOME/bin', '/root/bin');
test(expandsTo, '${HOME}bin', '/rootbin');
test('an unset variable stays literal and is named', expandsTo, 'a $NOPE b', 'a $NOPE b', ['NOPE']);
test('${VAR:-default}: unset → default', expandsTo, '${NOPE:-4}', '4');
test('${VAR:-default}: empty → default', expandsTo, '${EMPTY:-4}', '4');
test('${VAR:-default}: set → value', expandsTo, '${HOME:-4}', '/root');
test('${VAR-default}: unset → default', expandsTo, '${NOPE-4}', '4');
test('${VAR-default}: empty stays empty', expandsTo, '[${EMPTY-4}]', '[]');
test('an empty default', expandsTo, '[${NOPE:-}]', '[]');
test('a default is expanded itself', expandsTo, '${NOPE:-$HOME/x}', '/root/x');
test('a nested default', expandsTo, '${NOPE:-${NOPE2:-deep}}', 'deep');
test('an unset variable inside a used default is named', expandsTo, '${NOPE:-$NOPE2}', '$NOPE2', ['NOPE2']);
test('an unused default is not looked at', expandsTo, '${HOME:-$NOPE2}', '/root');
test('inside single quotes nothing expands', expandsTo, "awk '{print $NF}' $HOME", "awk '{print $NF}' /root");
test('inside double quotes it expands', expandsTo, '"$HOME"', '"/root"');
test('a single quote inside double quotes is literal', expandsTo, `"it's $HOME"`, `"it's /root"`);
test('a backslash keeps $ literal', expandsTo, '\\$HOME', '\\$HOME');
test('$ before a non-name is literal', expandsTo, '$1 $$ $ 5$', '$1 $$ $ 5$');

test('offsets of references, also inside defaults', (t) => {
  t.deepEqual(allEnvReferences('a ${A:-$B} $C').map((r) => [r.name, r.offset, r.length]), [['A', 2, 8], ['B', 7, 2], ['C', 11, 2]]);
});

test('forms tasker does not support are reported, not silently kept', (t) => {
  for (const text of ['${VAR:=x}', '${VAR:?no}', '${#VAR}', '${1}', '${VAR', '${}']) {
    const scan = scanEnv(text);
    t.is(scan.bad.length, 1, text);
    t.is(scan.bad[0]!.offset, 0, text);
  }
});

test('defaults nested deeper than the bound are reported, not recursed into (a hostile line cannot exhaust the stack)', (t) => {
  const n = 100_000;
  const text = `${'${A:-'.repeat(n)}x${'}'.repeat(n)}`;
  const r = expandEnvText(text, {});
  t.is(r.bad.length, 1);
  t.true(allEnvReferences(text).length <= MAX_DEFAULT_DEPTH + 1);
  t.is(expandEnvText('${A:-${B:-${C:-deep}}}', {}).text, 'deep');
});
