/** The bounded reader: regular files only, size and line limits, UTF-8, positions of every refusal. */
import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeInput, readBoundedFile, type BoundedRead, type InputProblem } from '../../../shared/input/read-bounded-file.js';
import { findInvalidUtf8, positionOfByte } from '../../../shared/input/utf8-position.js';

const dir = mkdtempSync(join(tmpdir(), 'bounded-read-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function fileWith(content: string | Buffer): string {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, content);
  return path;
}

function problemOf(r: BoundedRead): InputProblem {
  if (r.ok) throw new Error('expected a refusal');
  return r.problem;
}

test('a regular file is read as text', (t) => {
  t.deepEqual(readBoundedFile(fileWith('task=0\ncafé 😀\n')), { ok: true, text: 'task=0\ncafé 😀\n' });
});

test('a missing file is "missing"', (t) => {
  t.like(problemOf(readBoundedFile(join(dir, 'nope'))), { kind: 'missing', reason: 'does not exist' });
});

test('a directory, /dev/zero and a FIFO without a writer are refused as not regular, without reading or waiting', (t) => {
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  t.like(problemOf(readBoundedFile(sub)), { kind: 'not-regular', reason: 'is a directory, not a regular file' });
  t.like(problemOf(readBoundedFile('/dev/zero')), { kind: 'not-regular', reason: 'is a character device, not a regular file' });
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  t.like(problemOf(readBoundedFile(fifo)), { kind: 'not-regular', reason: 'is a FIFO (named pipe), not a regular file' });
});

test('a file that stat calls empty (/proc) is read to its end: the size from stat is not trusted', (t) => {
  const r = readBoundedFile('/proc/self/status');
  t.true(r.ok && r.text.startsWith('Name:'));
});

test('a file over the size limit is refused at the line and column where the limit is passed', (t) => {
  // 10 lines of 99 characters + newline = 1000 bytes; the 1001st byte opens line 11.
  const path = fileWith(`${'x'.repeat(99)}\n`.repeat(15));
  t.like(problemOf(readBoundedFile(path, { maxFileBytes: 1000, maxLineBytes: 500 })), { kind: 'too-large', line: 11, col: 1, reason: 'the file is larger than 1000 bytes' });
  t.true(readBoundedFile(path, { maxFileBytes: 1500, maxLineBytes: 500 }).ok, 'exactly at the limit is accepted');
});

test('a line over the line limit is refused at the column past the limit, counted in characters', (t) => {
  const path = fileWith(`a=1\r\nb=${'é'.repeat(40)}\nc=2\n`);
  // Line 2 holds 2 + 80 bytes: the 65th byte is the first past a 64-byte limit, at the 32nd 'é'.
  t.like(problemOf(readBoundedFile(path, { maxFileBytes: 10_000, maxLineBytes: 64 })), { kind: 'line-too-long', line: 2, col: 34, reason: 'line is longer than 64 bytes' });
  t.true(readBoundedFile(fileWith(`${'x'.repeat(64)}\r\n`), { maxFileBytes: 10_000, maxLineBytes: 64 }).ok, 'a CR before the newline is not counted');
});

const invalid = test.macro({
  exec(t, bytes: number[], line: number, col: number) {
    const prefix = Buffer.from('task=0\nargs=ü😀x', 'utf8');
    const path = fileWith(Buffer.concat([prefix, Buffer.from(bytes), Buffer.from('\n')]));
    t.like(problemOf(readBoundedFile(path)), { kind: 'invalid-utf8', line, col });
  },
  title: (_p, bytes: number[]) => `invalid UTF-8 ${bytes.map((b) => b.toString(16)).join(' ')} is refused with its position`,
});
// Columns count UTF-16 units as the parser does: args= is 5, ü 1, 😀 2, x 1 → the bad byte is column 10.
test(invalid, [0xff], 2, 10);
test(invalid, [0xc0, 0x80], 2, 10);
test(invalid, [0xed, 0xa0, 0x80], 2, 10);
test(invalid, [0xf4, 0x90, 0x80, 0x80], 2, 10);
test(invalid, [0xe2, 0x82], 2, 10);
test(invalid, [0x80], 2, 10);

test('findInvalidUtf8 agrees with a fatal TextDecoder on any bytes', (t) => {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      let valid = true;
      try {
        decoder.decode(bytes);
      } catch {
        valid = false;
      }
      const at = findInvalidUtf8(bytes);
      if (valid !== (at === -1)) throw new Error(`disagree on ${Buffer.from(bytes).toString('hex')}`);
      if (!valid) decoder.decode(bytes.subarray(0, at)); // everything before the offset is valid
    }),
    { numRuns: 5000 },
  );
  t.is(findInvalidUtf8(Buffer.from('ok ✓')), -1);
});

test('positionOfByte counts lines and UTF-16 columns', (t) => {
  const b = Buffer.from('ab\nü😀c\n', 'utf8');
  t.deepEqual(positionOfByte(b, 0), { line: 1, col: 1 });
  t.deepEqual(positionOfByte(b, 3), { line: 2, col: 1 });
  t.deepEqual(positionOfByte(b, b.indexOf('c')), { line: 2, col: 4 });
});

test('the line limit is found wherever the long line is, with and without CRs, as a line-by-line scan finds it', (t) => {
  const max = 8;
  const line = fc.tuple(fc.integer({ min: 0, max: 11 }), fc.constantFrom('\n', '\r\n', '\r'));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, lastNewline) => {
      let text = lines.map(([n, eol]) => 'x'.repeat(n) + eol).join('');
      if (!lastNewline) text += 'y'.repeat(lines.length % 11);
      // The scan: lines split at \n, a CR before \n not counted.
      let expected: number | undefined;
      let offset = 0;
      for (const l of text.split('\n')) {
        const length = l.endsWith('\r') && offset + l.length < text.length ? l.length - 1 : l.length;
        if (length > max) {
          expected = offset + max;
          break;
        }
        offset += l.length + 1;
      }
      const r = decodeInput(Buffer.from(text), { maxFileBytes: 1000, maxLineBytes: max });
      const got = r.ok ? undefined : r.problem;
      if (expected === undefined ? got !== undefined : got?.kind !== 'line-too-long' || got.col !== positionOfByte(Buffer.from(text), expected).col || got.line !== positionOfByte(Buffer.from(text), expected).line) {
        throw new Error(`${JSON.stringify(text)}: expected ${expected}, got ${JSON.stringify(got)}`);
      }
    }),
    { numRuns: 3000 },
  );
  t.like(problemOf(decodeInput(Buffer.from(`ok\r\n${'x'.repeat(9)}`), { maxFileBytes: 1000, maxLineBytes: 8 })), { kind: 'line-too-long', line: 2, col: 9 });
});
