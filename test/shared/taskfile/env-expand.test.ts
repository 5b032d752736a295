import test from 'ava';
import fc from 'fast-check';
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

test('fuzz: scanning and expanding never throw, offsets stay in the text, unset names stay literal', (t) => {
  const piece = fc.constantFrom('$', '{', '}', ':-', '-', "'", '"', '\\', 'A', 'HOME', 'NOPE', ' ', '$HOME', '${', '${NOPE:-', '${HOME-', 'x');
  t.notThrows(() => fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }).map((a) => a.join('')), (text) => {
      const scan = scanEnv(text);
      for (const r of [...scan.refs, ...allEnvReferences(text)]) {
        if (r.offset < 0 || r.offset + r.length > text.length || text[r.offset] !== '$') throw new Error(`bad ref ${JSON.stringify(r)} in ${text}`);
      }
      for (const b of scan.bad) if (b.offset < 0 || b.offset >= text.length) throw new Error(`bad offset ${JSON.stringify(b)}`);
      const r = expandEnvText(text, ENV);
      for (const m of r.missing) {
        if ((ENV as Record<string, string>)[m.name] !== undefined) throw new Error(`${m.name} is set, yet named missing in ${text}`);
        if (!r.text.includes(text.slice(m.offset, m.offset + m.length))) throw new Error(`${m.name} did not stay literal in ${text}`);
      }
      // Without any '$' nothing changes.
      if (!text.includes('$') && r.text !== text) throw new Error('changed without $');
    }),
    { numRuns: 3000, seed: 130006 },
  ));
});
