/** Bounded, printable diagnostics: excerpts around the caret, escaped control characters, short messages. */
import test from 'ava';
import { boundMessage, excerptAround } from '../../../shared/taskfile/diagnostic-excerpt.js';
import { formatDiagnostic } from '../../../shared/taskfile/diagnostics.js';

test('a short line is shown whole, the caret under the columns it names', (t) => {
  t.is(
    formatDiagnostic({ code: 'UNKNOWN_CONDITION', severity: 'error', message: "'stdot~ok' is not a condition", line: 3, col: 6, length: 8 }, 'f.txt', ['', '', 'next=stdot~ok']),
    "f.txt:3:6: error[UNKNOWN_CONDITION] 'stdot~ok' is not a condition\n 3 | next=stdot~ok\n   |      ^^^^^^^^",
  );
});

test('a long line is cut to ~200 columns around the caret, with … on the cut sides', (t) => {
  const line = `${'a'.repeat(1000)}XYZ${'b'.repeat(1000)}`;
  const e = excerptAround(line, 1001, 3);
  t.is(e.text, `…${'a'.repeat(60)}XYZ${'b'.repeat(137)}…`);
  t.is(e.caret, 61);
  t.is(e.width, 3);
  t.is(e.text.slice(e.caret, e.caret + e.width), 'XYZ');
});

test('a caret at the start or past the end of a long line', (t) => {
  const line = 'x'.repeat(5000);
  t.deepEqual(excerptAround(line, 1, 1), { text: `${'x'.repeat(200)}…`, caret: 0, width: 1 });
  const end = excerptAround(line, 5001, 1);
  t.is(end.text, `…${'x'.repeat(60)}`);
  t.is(end.caret, 61);
});

test('an underline longer than the window ends with the window', (t) => {
  const e = excerptAround('y'.repeat(10_000), 1, 10_000);
  t.is(e.width, 200);
});

test('control characters are escaped and the caret still lines up; tabs show as spaces', (t) => {
  const e = excerptAround('a\x1b[2J\tb\x07c', 8, 1);
  t.is(e.text, 'a\\x1b[2J b\\x07c');
  t.is(e.text.slice(e.caret, e.caret + 4), '\\x07');
  t.is(e.width, 4);
});

test('messages: control characters escaped, long quoted parts shortened, the whole bounded', (t) => {
  t.is(boundMessage("'bell\x07' and \x9b"), "'bell\\x07' and \\u009b");
  const long = boundMessage(`'${'q'.repeat(5000)}' is not a key=value pair`);
  t.is(long, `'${'q'.repeat(60)}…${'q'.repeat(15)}' is not a key=value pair`);
  t.true(boundMessage('z'.repeat(1_000_000)).length <= 300);
  t.true(boundMessage('\x9b'.repeat(100_000)).length <= 300);
});
