import test from 'ava';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spilledOutput } from '../../../shared/exec/spilled-output.js';
import { evaluateCondition, parseCondition } from '../../../shared/taskfile/condition.js';
import { COMPARE_LIMIT, isJsWhitespace, textOutput, type OutputView } from '../../../shared/taskfile/output-view.js';

const dir = mkdtempSync(join(tmpdir(), 'spilled-output-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** The bytes in a file, read through a view with `chunkBytes` per read. */
function fileView(bytes: Buffer | string, chunkBytes: number, onError?: (m: string) => void): OutputView {
  const path = join(dir, `out-${++files}`);
  writeFileSync(path, bytes);
  return spilledOutput(path, 'preview', { chunkBytes, onError });
}

function answers(v: OutputView, patterns: string[]): unknown {
  return {
    contains: patterns.map((p) => v.contains(p)),
    blank: v.isBlank(),
    emptyBeforeNewlines: v.isEmptyBeforeNewlines(),
    lines: v.lineCount(),
    trimmed: v.trimmed(),
  };
}

test('the whitespace test is the one String.prototype.trim uses, for every UTF-16 code unit', (t) => {
  const wrong: number[] = [];
  for (let c = 0; c <= 0xffff; c++) if (isJsWhitespace(c) !== /\s/.test(String.fromCharCode(c))) wrong.push(c);
  t.deepEqual(wrong, []);
});

// Text built from pieces that matter to the answers: newlines, CRs, spaces, unicode spaces and
// multi-byte characters, so chunk boundaries fall inside characters, CRLFs and matches.
const piece = fc.constantFrom('a', 'b', 'ab', 'NEEDLE', '\n', '\r\n', '\r', ' ', '\t', '\u00a0', '\u3000', 'é', '€', '😀', 'x'.repeat(9));
const text = fc.array(piece, { maxLength: 60 }).map((p) => p.join(''));
const pattern = fc.oneof(fc.constantFrom('a', 'ab', 'NEEDLE', 'b\na', 'a\n', '\n', 'é€', '😀a', ' \t', 'EDLE\r\n'), fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join('')));

test('a file read in chunks answers as the same text held in memory (any chunk size)', (t) => {
  fc.assert(
    fc.property(text, fc.array(pattern, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 17 }), (s, patterns, chunk) => {
      t.deepEqual(answers(fileView(s, chunk), patterns), answers(textOutput(s), patterns), JSON.stringify({ s, patterns, chunk }));
    }),
    { numRuns: 400 },
  );
});

/** Bytes around the whitespace and lead bytes the byte scans look at, mixed with ASCII. */
const tricky = fc.array(fc.constantFrom(0x41, 0x20, 0x0a, 0x0d, 0x09, 0xc2, 0xa0, 0xe2, 0x80, 0x81, 0x9f, 0xe3, 0xef, 0xbb, 0xbf, 0xff, 0xf0, 0x9f), { maxLength: 40 }).map((a) => Uint8Array.from(a));

test('invalid UTF-8 bytes read the same from a file as from decoded text', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), tricky), fc.integer({ min: 1, max: 7 }), (bytes, chunk) => {
      const buf = Buffer.from(bytes);
      const s = buf.toString('utf8');
      const patterns = ['\ufffd', s.slice(1, 3) || 'a', '\n', 'A A', 'A\u00a0', '\u2000A'];
      t.deepEqual(answers(fileView(buf, chunk), patterns), answers(textOutput(s), patterns));
    }),
    { numRuns: 1500 },
  );
});

test('a needle across a chunk boundary of a large file is found; one after the end is not', (t) => {
  const filler = 'x'.repeat(63) + '\n';
  const big = filler.repeat(20000); // 1.28 MB
  const chunk = 64 * 1024;
  // NEEDLE starts 3 bytes before a chunk boundary.
  const at = chunk * 19 - 3;
  const s = big.slice(0, at) + 'NEEDLE' + big.slice(at);
  const v = fileView(s, chunk);
  t.true(v.contains('NEEDLE'));
  t.false(v.contains('NEEDLES'));
  t.is(v.lineCount(), 20000);
  t.is(v.trimmed(), undefined, 'longer than COMPARE_LIMIT');
});

test('a stream longer than COMPARE_LIMIT has no comparable value, but its lines are all counted', (t) => {
  const s = `  ${'y'.repeat(COMPARE_LIMIT)}\nlast\n\n   `;
  const v = fileView(s, 4096);
  t.is(v.trimmed(), undefined);
  t.is(textOutput(s).trimmed(), undefined);
  t.is(v.lineCount(), 2);
  // Whitespace around a short value does not count against the limit.
  const padded = fileView(`${' '.repeat(COMPARE_LIMIT)}42${'\n'.repeat(COMPARE_LIMIT)}`, 65536);
  t.is(padded.trimmed(), '42');
  t.is(padded.lineCount(), 1);
});

test('a spill file that cannot be read answers from the preview and says so', (t) => {
  const messages: string[] = [];
  const v = spilledOutput(join(dir, 'missing'), 'line one\nNEEDLE\n', { onError: (m) => messages.push(m) });
  t.true(v.contains('NEEDLE'));
  t.is(v.lineCount(), 2);
  t.is(messages.length, 1);
  t.regex(messages[0]!, /cannot read the output kept in .*missing .*conditions see only its first 16 bytes/);
});

test('conditions over a spilled stream: comparisons of a value past COMPARE_LIMIT, and the variable is not the stream', (t) => {
  const long = fileView(`${'7'.repeat(COMPARE_LIMIT + 1)}\n`, 65536);
  const ctx = (view: OutputView) => ({ exitCode: 0, stdout: 'first bytes only', stderr: '', stdoutView: view, resolve: (s: string) => s.replace('@0_stdout@', 'first bytes only') });
  const holds = (cond: string, view: OutputView) => evaluateCondition(parseCondition(cond).ast!, ctx(view));
  t.false(holds('stdout=7', long));
  t.true(holds('stdout!=7', long));
  t.false(holds('stdout>5', long), 'a value that long is no number');
  const short = fileView(`  42 \n\n`, 3);
  t.true(holds('stdout=42', short));
  t.true(holds('stdout>41&stdout<=42', short));
  const needle = fileView(`${'x'.repeat(300_000)}\nNEEDLE\n`, 65536);
  t.true(holds('stdout~NEEDLE&stdout_count=2', needle));
  t.false(holds('@0_stdout@~NEEDLE', needle), 'the variable holds what the capture kept, not the whole stream');
});
