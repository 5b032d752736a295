/**
 * Property tests over whole task files: generated from a grammar of plausible lines plus junk, and
 * mutations of the valid corpus. Parsing and validation never throw, every diagnostic points into
 * the file, and formatting never throws.
 */
import test from 'ava';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic } from '../../../shared/taskfile/diagnostics.js';
import type { Diagnostic } from '../../../shared/taskfile/diagnostics.js';
import { TASK_KEYS } from '../../../shared/taskfile/keys.js';
import { parseTaskFile } from '../../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../../shared/taskfile/validate.js';
import { buildPlan } from '../../../core/engine/plan.js';
import { toDot, toMermaid } from '../../../core/engine/graph.js';
import { EXEC_TYPES, ROOT } from '../../helpers/tasker.js';

/** Throws (so fast-check shrinks) when a property of one file does not hold. */
function checkFile(text: string): void {
  const parsed = parseTaskFile(text, 'fuzz.txt');
  const built = buildWorkflow(parsed.ast, { env: { HOME: '/root' }, execTypes: EXEC_TYPES, strictEnv: text.length % 2 === 0 });
  const lines = parsed.ast.lines;
  const all: Diagnostic[] = [...parsed.diagnostics, ...built.diagnostics];
  for (const d of all) {
    if (d.line === undefined || !Number.isInteger(d.line) || d.line < 1 || d.line > lines.length) throw new Error(`line out of range: ${JSON.stringify(d)}`);
    const width = lines[d.line - 1]!.length;
    // The caret starts on the line (or just past its end, for an empty value) and stays within it.
    if (d.col === undefined || !Number.isInteger(d.col) || d.col < 1 || d.col > width + 1 || d.col + (d.length ?? 1) - 1 > width + 1) {
      throw new Error(`col out of range: ${JSON.stringify(d)}`);
    }
    if (!/^[A-Z][A-Z0-9_]*$/.test(d.code) || d.message.length === 0) throw new Error(`malformed diagnostic: ${JSON.stringify(d)}`);
    const out = formatDiagnostic(d, 'fuzz.txt', lines);
    if (!out.startsWith(`fuzz.txt:${d.line}:${d.col}: ${d.severity}[${d.code}] `)) throw new Error(`bad header: ${out}`);
  }
  // Whatever validates without errors can be planned and drawn.
  if (!all.some((d) => d.severity === 'error')) {
    const wf = built.workflow;
    buildPlan(wf, { defaultExecType: 'local', canonicalExecType: (n) => (EXEC_TYPES.has(n) ? n : undefined), describeCommand: (_e, h, c, a) => `${h} ${c} ${a}`, env: { HOME: '/root' } });
    toMermaid(wf);
    toDot(wf);
  }
}

// A grammar of plausible lines.
const KEYS = [...TASK_KEYS, 'Task', 'COMMAND', 'comand', 'argumnets', 'nxt', 'on_succes', 'HOSTNAME', 'ENV', 'MY_VAR', 'X', '1BAD', 'a-b', ''];
const VALUES = [
  '0', '1', '2', '3', '10', '100', '-1', '1.5', '99999999999999999999', 'abc', '', ' ', 'localhost', 'web01', 'web_02', '10.0.0.256',
  'echo', 'ls -la', 'exit_0', 'exit_1', 'exit_not_0', 'stdout~ok', 'stdout!~', 'stderr~', 'stdout_count>2', 'stdot~x', 'loop', 'loop&stdout!~2',
  'never', 'always', 'success', 'all_success', 'min_success=2', '(exit_0|stderr~', 'exit_0&&exit_1', 'exit_0 AND x', '"a|b"', "'x # y'",
  '@0_stdout@', '@5_stdout@', '@1_exit@', '@ENV@', '@X@', '@@', '@', '@0_stdot@', '@TASK@', '$HOME', '${UNSET_ONE}', '$TASKER_X',
  'parallel', 'conditional', 'decision', 'paralel', '10,11', '100,101,x', ',', 'a,b', 'web01,web02', 'space,1', 'comma,-1', ',1', 'space',
  'local', 'pbrun', 'pbrn', 'shell', 'ssh', 'true', 'false', '5', '1000', '1001', '4', '0x10', '1e3', '# only comment', 'x # trailing', 'a#b',
];
const JUNK = fc.string({ unit: fc.constantFrom(...'=#@"\'\\ \t~!&|()<>,;:-_.aZ09\u00e9\u2013\r\0'.split('')), maxLength: 30 });
const SEPARATORS = ['=', ' = ', ' ', '\t', '==', ' =', '=  '];

const pairLine = fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...SEPARATORS), fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...VALUES) }, { weight: 1, arbitrary: JUNK }), fc.constantFrom('', '', '  # note', '#x', ' '))
  .map(([k, sep, v, tail]) => `${k}${sep}${v}${tail}`);
const taskLine = fc.oneof(fc.integer({ min: 0, max: 12 }).map((n) => `task=${n}`), fc.constantFrom('task=', 'task=x', 'task 3', 'task=100', 'task=101', 'task=-1', '  task = 2  '));
const otherLine = fc.constantFrom('', '# comment', '   ', '--auto-recovery', '--timeout=60', '--help', '-x', 'return 0', 'sleep 5 # wait', 'just words', '=', '=x', '\t\t');
const line = fc.oneof({ weight: 6, arbitrary: pairLine }, { weight: 2, arbitrary: taskLine }, { weight: 1, arbitrary: otherLine }, { weight: 1, arbitrary: JUNK });
const grammarFile = fc.tuple(fc.array(line, { maxLength: 40 }), fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([ls, eol, trailing]) => ls.join(eol) + (trailing ? eol : ''));

test('generated task files never throw and every diagnostic points into the file', (t) => {
  fc.assert(fc.property(grammarFile, (text) => checkFile(text)), { numRuns: 4000 });
  t.notThrows(() => checkFile('task=0\nhostname=h\ncommand=echo\n'));
});

test('arbitrary unicode text never throws', (t) => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => checkFile(text)), { numRuns: 1500 });
  t.notThrows(() => checkFile('\u0000\n=\n@@@\n'));
});

// Mutations of the valid corpus.
const GOOD = join(ROOT, 'test', 'corpus', 'good');
const corpus = readdirSync(GOOD).filter((f) => f.endsWith('.txt')).sort().map((f) => readFileSync(join(GOOD, f), 'utf8').split('\n'));

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'insertChars'; at: number; pos: number; chars: string }
  | { kind: 'replaceLine'; at: number; text: string }
  | { kind: 'truncate'; at: number; pos: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('insertChars' as const), at: fc.nat(), pos: fc.nat(), chars: JUNK }),
  fc.record({ kind: fc.constant('replaceLine' as const), at: fc.nat(), text: line }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), pos: fc.nat() }),
);

function mutate(lines: readonly string[], ms: readonly Mutation[]): string {
  const out = [...lines];
  for (const m of ms) {
    if (out.length === 0) break;
    const i = m.at % out.length;
    const l = out[i]!;
    if (m.kind === 'delete') out.splice(i, 1);
    else if (m.kind === 'duplicate') out.splice(i, 0, l);
    else if (m.kind === 'swap') {
      const j = m.with % out.length;
      [out[i], out[j]] = [out[j]!, l];
    } else if (m.kind === 'insertChars') {
      const p = m.pos % (l.length + 1);
      out[i] = l.slice(0, p) + m.chars + l.slice(p);
    } else if (m.kind === 'replaceLine') out[i] = m.text;
    else out[i] = l.slice(0, m.pos % (l.length + 1));
  }
  return out.join('\n');
}

test('mutated valid files never throw and every diagnostic points into the file', (t) => {
  const mutated = fc.tuple(fc.nat({ max: corpus.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 })).map(([f, ms]) => mutate(corpus[f]!, ms));
  fc.assert(fc.property(mutated, (text) => checkFile(text)), { numRuns: 4000 });
  t.true(corpus.length >= 5);
});
