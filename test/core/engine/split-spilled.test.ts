import test from 'ava';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8CutPoint } from '../../../shared/exec/capture.js';
import { SPLIT_DELIMITERS } from '../../../shared/taskfile/keys.js';
import { splitCaptured, splitSpilled } from '../../../core/engine/split-spilled.js';
import { splitOutput } from '../../../core/engine/split.js';

const dir = mkdtempSync(join(tmpdir(), 'split-spilled-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function spill(text: string | Buffer): string {
  const path = join(dir, `tasker_stdout_${++files}`);
  writeFileSync(path, text);
  return path;
}

/** How many elements splitOutput sees (its own rule, restated). */
function partCount(text: string, delimiter: string): number {
  const body = text.replace(/\r?\n$/, '');
  const sep = SPLIT_DELIMITERS[delimiter.toLowerCase()] ?? delimiter;
  return (typeof sep === 'string' ? body.split(sep) : body.trim().split(sep)).length;
}

const piece = fc.constantFrom('a', 'bc', ',', ';', ' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', 'é', '😀', 'ab', ':;', 'x'.repeat(7));
const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));
const delimiter = fc.constantFrom('space', 'whitespace', 'tab', 'newline', 'comma', 'semicolon', 'pipe', 'ab', '😀', ':;', 'é');

test('the element taken from a spill file read in chunks is the one splitOutput takes from the whole text', (t) => {
  fc.assert(
    fc.property(text, delimiter, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 24 }), (s, delim, index, chunk, limit) => {
      const spec = { delimiter: delim, index };
      const file = spill(s);
      const previewLimit = Math.min(5, limit);
      const got = splitSpilled(file, 'PREVIEW', spec, { captureLimit: limit, previewLimit, chunkBytes: chunk });
      const where = JSON.stringify({ s, spec, chunk, limit });
      if (index >= partCount(s, delim)) {
        t.deepEqual(got, { text: 'PREVIEW', file }, `out of range: unchanged: ${where}`);
        return;
      }
      const expected = splitOutput(s, spec);
      t.false(existsSync(file), `the whole stream's file is gone once split: ${where}`);
      const bytes = Buffer.from(expected);
      if (bytes.length <= limit) {
        t.deepEqual(got, { text: expected }, where);
      } else {
        t.is(readFileSync(got.file!, 'utf8'), expected, where);
        t.is(got.text, bytes.subarray(0, utf8CutPoint(bytes, previewLimit)).toString(), where);
        rmSync(got.file!);
      }
    }),
    { numRuns: 600 },
  );
});

test('invalid UTF-8 in a spilled stream splits as the decoded text does', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 30 }), fc.constantFrom('space', 'newline', 'comma'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 5 }), (raw, delim, index, chunk) => {
      const buf = Buffer.from(raw);
      const s = buf.toString('utf8');
      if (index >= partCount(s, delim)) return;
      const got = splitSpilled(spill(buf), '', { delimiter: delim, index }, { captureLimit: 1 << 20, previewLimit: 1024, chunkBytes: chunk });
      t.is(got.text, splitOutput(s, { delimiter: delim, index }));
    }),
    { numRuns: 300 },
  );
});

test('a line past 1 MiB of a spilled stream is taken with newline,N; the split text is no longer spilled', (t) => {
  const lines = Array.from({ length: 40000 }, (_, i) => `line ${i + 1} ${'y'.repeat(30)}`);
  const file = spill(`${lines.join('\n')}\n`);
  const warnings: string[] = [];
  const got = splitCaptured({ text: 'first 100 KiB', file }, { delimiter: 'newline', index: 39999 }, (m) => warnings.push(m));
  t.deepEqual(got, { text: lines[39999]! });
  t.deepEqual(warnings, []);
});

test('an element larger than the capture limit goes to a spill file of its own', (t) => {
  const big = 'z'.repeat(3 * 1024 * 1024);
  const file = spill(`head,${big},tail\n`);
  const got = splitCaptured({ text: 'preview', file }, { delimiter: 'comma', index: 1 }, () => undefined);
  t.truthy(got.file);
  t.is(got.text.length, 100 * 1024);
  t.is(readFileSync(got.file!, 'utf8'), big);
  rmSync(got.file!);
});

test('a spill file that is gone: the kept text is split and a warning says so', (t) => {
  const warnings: string[] = [];
  const got = splitCaptured({ text: 'a b c', file: join(dir, 'gone') }, { delimiter: 'space', index: 1 }, (m) => warnings.push(m));
  t.deepEqual(got, { text: 'b' });
  t.regex(warnings[0]!, /cannot split the output kept in .*gone .*split only its first 5 bytes/);
});
