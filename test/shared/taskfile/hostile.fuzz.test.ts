/**
 * Property tests with the input limits: hostile bytes (huge runs of parentheses, `!`, operators,
 * control characters, invalid UTF-8, long lines) go through the bounded reader, the parser, the
 * validator and the bounded report exactly as the CLI does. Nothing throws, every refusal and every
 * diagnostic is positioned inside the file, and the report stays bounded and printable.
 */
import test from 'ava';
import fc from 'fast-check';
import { decodeInput, type InputLimits } from '../../../shared/input/read-bounded-file.js';
import type { Diagnostic } from '../../../shared/taskfile/diagnostics.js';
import { formatDiagnosticList } from '../../../shared/taskfile/diagnostic-list.js';
import { parseTaskFile } from '../../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../../shared/taskfile/validate.js';
import { EXEC_TYPES } from '../../helpers/tasker.js';

const REPORT_BOUND = 64 * 1024;
/** Gutter + ~200 columns + two … marks, or a bounded message. */
const LINE_BOUND = 400;
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/** Throws (so fast-check shrinks) when a property of one input does not hold. */
function checkBytes(bytes: Uint8Array, limits: InputLimits): void {
  const read = decodeInput(bytes, limits);
  if (!read.ok) {
    const p = read.problem;
    if (!p.line || !p.col || p.line < 1 || p.col < 1) throw new Error(`refusal without a position: ${JSON.stringify(p)}`);
    const lines = Buffer.from(bytes).toString('latin1').split('\n').length;
    if (p.line > lines) throw new Error(`refusal past the end: ${JSON.stringify(p)}`);
    return;
  }
  const parsed = parseTaskFile(read.text, 'fuzz.txt');
  const built = buildWorkflow(parsed.ast, { env: { HOME: '/root' }, execTypes: EXEC_TYPES });
  const lines = parsed.ast.lines;
  const all: Diagnostic[] = [...parsed.diagnostics];
  for (const d of built.diagnostics) all.push(d);
  for (const d of all) {
    if (d.line === undefined || d.line < 1 || d.line > lines.length) throw new Error(`line out of range: ${d.code} ${d.line}`);
    const width = lines[d.line - 1]!.length;
    if (d.col === undefined || d.col < 1 || d.col > width + 1) throw new Error(`col out of range: ${d.code} ${d.line}:${d.col} (width ${width})`);
  }
  const report = `${formatDiagnosticList(all, 'fuzz.txt', lines).join('\n')}\n`;
  if (report.length > REPORT_BOUND) throw new Error(`report of ${report.length} characters`);
  if (RAW_CONTROL.test(report)) throw new Error('raw control character in the report');
  for (const l of report.split('\n')) if (l.length > LINE_BOUND) throw new Error(`report line of ${l.length} characters: ${l.slice(0, 80)}…`);
}

const KEYS = ['task', 'hostname', 'command', 'arguments', 'exec', 'success', 'next', 'on_success', 'on_failure', 'condition', 'loop_break', 'G', 'bogus'];
const PIECES = ['(', ')', '!', '&', '|', 'not ', 'exit_0', 'stdout~', '"', "'", 'a', ' ', '\t', '\x1b[2J', '\x07', '\r', '\u009b', '@0_exit@', '=', '#', 'é', '😀'];
/** A line built from runs: a piece repeated up to `maxRun` times, a few runs per line. */
const hostileLine = (maxRun: number) =>
  fc.tuple(fc.constantFrom(...KEYS), fc.array(fc.tuple(fc.constantFrom(...PIECES), fc.integer({ min: 1, max: maxRun })), { minLength: 1, maxLength: 6 }))
    .map(([k, runs]) => `${k}=${runs.map(([p, n]) => p.repeat(n)).join('')}`);
const header = ['task=0', 'hostname=localhost', 'exec=local', 'command=echo'];
const text = (maxRun: number) => fc.array(hostileLine(maxRun), { minLength: 1, maxLength: 8 }).map((ls) => `${[...header, ...ls].join('\n')}\n`);
/** Invalid bytes spliced in at random places. */
const withBadBytes = (maxRun: number) =>
  fc.tuple(text(maxRun), fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0xc0, 0xed, 0xf5, 0xff, 0x00)), { maxLength: 3 })).map(([t, bad]) => {
    const b = Buffer.from(t, 'utf8');
    const out = [...b];
    for (const [at, byte] of bad) out.splice(at % (out.length + 1), 0, byte);
    return Uint8Array.from(out);
  });

test('small limits: hostile files are refused at a position or reported within bounds', (t) => {
  const limits = { maxFileBytes: 16 * 1024, maxLineBytes: 4 * 1024 };
  fc.assert(fc.property(withBadBytes(3000), (bytes) => checkBytes(bytes, limits)), { numRuns: 400 });
  t.notThrows(() => checkBytes(Buffer.from('task=0\n'), limits));
});

test('default limits: long runs of parentheses, "!" and operators never overflow the stack or the report', (t) => {
  const limits = { maxFileBytes: 16 * 1024 * 1024, maxLineBytes: 1024 * 1024 };
  fc.assert(fc.property(text(60_000), (s) => checkBytes(Buffer.from(s, 'utf8'), limits)), { numRuns: 60 });
  t.notThrows(() => checkBytes(Buffer.from(`${header.join('\n')}\nsuccess=${'('.repeat(100_000)}exit_0${')'.repeat(100_000)}\n`), limits));
});

test('a long run of quotes after a pattern is one positioned error, not a stack overflow (fuzz seed -1401662685)', (t) => {
  const limits = { maxFileBytes: 16 * 1024 * 1024, maxLineBytes: 1024 * 1024 };
  t.notThrows(() => checkBytes(Buffer.from(`${header.join('\n')}\nnext=stdout~${"'".repeat(60_000)}\n`, 'utf8'), limits));
  t.notThrows(() => checkBytes(Buffer.from(`${header.join('\n')}\nsuccess=stdout~${'""'.repeat(30_000)}x\n`, 'utf8'), limits));
});
