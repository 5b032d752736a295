import test from 'ava';
import fc from 'fast-check';
import {
  evaluateCondition,
  formatCondition,
  parseCondition,
  parseNext,
  type ConditionDiagnostic,
  type ConditionNode,
  type StreamName,
} from '../../../shared/taskfile/condition.js';
import { context } from '../../helpers/condition-helpers.js';

/** Drop positions and flatten nested same-kind and/or nodes, so equivalent ASTs compare equal. */
function normalize(node: ConditionNode): unknown {
  if (node.kind === 'or' || node.kind === 'and') {
    const children = node.children
      .map(normalize)
      .flatMap((c) => ((c as { kind: string }).kind === node.kind ? (c as { children: unknown[] }).children : [c]));
    return { kind: node.kind, children };
  }
  const { start: _start, end: _end, ...rest } = node;
  return rest;
}

function wellPlaced(text: string, diagnostics: readonly ConditionDiagnostic[]): boolean {
  return diagnostics.every(
    (d) =>
      Number.isInteger(d.offset) &&
      Number.isInteger(d.length) &&
      d.offset >= 0 &&
      d.offset <= text.length &&
      d.length >= 0 &&
      d.offset + d.length <= text.length &&
      d.code.length > 0 &&
      d.message.length > 0,
  );
}

const hasError = (diagnostics: readonly ConditionDiagnostic[]): boolean => diagnostics.some((d) => d.severity === 'error');

/** Checks every parse must pass; an accepted condition must also survive formatting and reparsing. */
function checkParse(text: string): void {
  const r = parseCondition(text);
  if (!wellPlaced(text, r.diagnostics)) throw new Error(`diagnostic out of range: ${JSON.stringify(r.diagnostics)}`);
  if ((r.ast === null) !== hasError(r.diagnostics)) throw new Error(`ast/error mismatch: ${JSON.stringify(r)}`);
  if (r.ast) {
    const again = parseCondition(formatCondition(r.ast));
    if (!again.ast || JSON.stringify(normalize(again.ast)) !== JSON.stringify(normalize(r.ast))) {
      throw new Error(`does not round-trip: ${JSON.stringify(text)} → ${JSON.stringify(formatCondition(r.ast))}`);
    }
    // Evaluation must not throw either.
    evaluateCondition(r.ast, context({ exitCode: 1, stdout: 'a\nb', stderr: ' ', vars: { X: '1', A: 'exit_1' } }));
  }
  const n = parseNext(text);
  if (!wellPlaced(text, n.diagnostics)) throw new Error(`next diagnostic out of range: ${JSON.stringify(n.diagnostics)}`);
  if ((n.next === null) !== hasError(n.diagnostics)) throw new Error(`next/error mismatch: ${JSON.stringify(n)}`);
}

const ALPHABET = [...'abcdeilnorstuxAEINORST0123456789~!=<>&|()_@"\' '];
const WORDS = ['exit_', 'exit_0', 'exit_not_0', 'stdout', 'stderr', '_count', 'success', 'true', 'AND', 'OR', 'NOT', 'loop', 'contains:', '@0_exit@', '\\"', '\t'];

const conditionish = fc.string({ unit: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ALPHABET) }, { weight: 1, arbitrary: fc.constantFrom(...WORDS) }), maxLength: 40 });

test('random text over the language alphabet never throws and every diagnostic is in range', (t) => {
  fc.assert(fc.property(conditionish, (text) => checkParse(text)), { numRuns: 6000 });
  t.notThrows(() => checkParse('exit_0&(stdout~"a|b"|stderr~)'));
});

// Well-formed ASTs.
const pos = { start: 0, end: 0 };
const streamName = fc.constantFrom<StreamName>('stdout', 'stderr');
const textChar = fc.constantFrom(...'abcXYZ019 .:-/\\$%^*"\'()&|=~!<>@\t'.split(''), ' AND ', ' OR ', 'exit_0');
const text = fc.string({ unit: textChar, maxLength: 12 });
const name = fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/);
const placeholder = name.map((n) => `@${n}@`);

const atom: fc.Arbitrary<ConditionNode> = fc.oneof(
  fc.integer({ min: 0, max: 400 }).map((code): ConditionNode => ({ kind: 'exit', code, ...pos })),
  fc.constant<ConditionNode>({ kind: 'exitNot0', ...pos }),
  fc.record({ stream: streamName, negated: fc.boolean(), pattern: fc.oneof(text, placeholder) }).map((r): ConditionNode => ({ kind: 'stream', ...r, ...pos })),
  fc
    .record({ stream: streamName, op: fc.constantFrom('=', '<', '>', '<=', '>=' as const), value: fc.oneof(fc.nat().map(String), placeholder) })
    .map((r): ConditionNode => ({ kind: 'count', ...r, ...pos })),
  fc.constant<ConditionNode>({ kind: 'success', ...pos }),
  fc.boolean().map((value): ConditionNode => ({ kind: 'literal', value, ...pos })),
  fc
    .record({
      left: fc.oneof(placeholder, fc.constantFrom('web-01', '1', '2.1.4', 'FOO', 'a.b', '@A@_@B@')),
      op: fc.constantFrom('=', '!=', '<', '>', '<=', '>=', '~', '!~' as const),
      right: fc.oneof(text, placeholder),
    })
    .map((r): ConditionNode => ({ kind: 'compare', subject: 'text', ...r, ...pos })),
  fc
    .record({ op: fc.constantFrom('!=', '<', '>', '<=', '>=', '~', '!~' as const), right: fc.oneof(text, placeholder) })
    .map((r): ConditionNode => ({ kind: 'compare', subject: 'exit', left: 'exit', ...r, ...pos })),
  fc
    .record({ stream: streamName, op: fc.constantFrom('=', '!=', '<', '>', '<=', '>=' as const), right: fc.oneof(text, placeholder) })
    .map((r): ConditionNode => ({ kind: 'compare', subject: r.stream, left: r.stream, op: r.op, right: r.right, ...pos })),
  placeholder.map((t): ConditionNode => ({ kind: 'truthy', text: t, ...pos })),
  fc.record({ negated: fc.boolean(), pattern: fc.oneof(text, placeholder) }).map((r): ConditionNode => ({ kind: 'legacyContains', ...r, ...pos })),
);

const { tree } = fc.letrec<{ tree: ConditionNode }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.record({ kind: fc.constantFrom('or', 'and' as const), children: fc.array(tie('tree'), { minLength: 2, maxLength: 4 }) }).map((r): ConditionNode => ({ ...r, ...pos })),
  ),
}));

const evalContext = fc.record({
  exitCode: fc.constantFrom(0, 1, 2, 124),
  stdout: fc.string({ unit: textChar, maxLength: 10 }).map((s) => s.replace(/\|/g, '\n')),
  stderr: fc.string({ unit: textChar, maxLength: 10 }),
  success: fc.option(fc.boolean(), { nil: undefined }),
  vars: fc.dictionary(name, fc.oneof(text, fc.constantFrom('true', 'False', '1', 'exit_0', 'stdout~a', '')), { maxKeys: 4 }),
});

test('formatted well-formed ASTs reparse to an equivalent AST that evaluates identically', (t) => {
  fc.assert(
    fc.property(tree, fc.array(evalContext, { minLength: 1, maxLength: 3 }), (ast, contexts) => {
      const printed = formatCondition(ast);
      const r = parseCondition(printed);
      if (hasError(r.diagnostics) || !r.ast) throw new Error(`${printed}: ${JSON.stringify(r.diagnostics)}`);
      if (JSON.stringify(normalize(r.ast)) !== JSON.stringify(normalize(ast))) {
        throw new Error(`${printed} reparsed differently: ${JSON.stringify(normalize(r.ast))}`);
      }
      for (const c of contexts) {
        const ctx = context(c);
        if (evaluateCondition(ast, ctx) !== evaluateCondition(r.ast, ctx)) throw new Error(`${printed} evaluates differently`);
      }
    }),
    { numRuns: 3000 },
  );
  t.is(formatCondition({ kind: 'and', children: [{ kind: 'exit', code: 0, ...pos }, { kind: 'or', children: [{ kind: 'success', ...pos }, { kind: 'literal', value: false, ...pos }], ...pos }], ...pos }), 'exit_0&(success|false)');
});

test('the formatted text of a well-formed AST is also a valid loop&COND', (t) => {
  fc.assert(
    fc.property(tree, (ast) => {
      const r = parseNext(`loop&${formatCondition(ast)}`);
      if (r.next?.kind !== 'loop' || !r.next.condition) throw new Error(JSON.stringify(r.diagnostics));
      if (JSON.stringify(normalize(r.next.condition)) !== JSON.stringify(normalize(ast))) throw new Error('differs');
    }),
    { numRuns: 1000 },
  );
  t.is(parseNext('loop&exit_0').next?.kind, 'loop');
});

// Mutations of valid conditions.
const VALID = [
  'exit_0',
  'exit_0&(stdout~Success|stderr~)',
  'exit_1|exit_0&stdout~x',
  'loop&stdout!~2',
  'stdout~"a|b"&stderr!~\'x&y\'',
  '@0_stdout@=@EXPECTED@&@0_exit@=0&@TRUE_VALUE@',
  'stdout_count>=3|stderr_count=0',
  '(stdout=SUCCESS: done) | (exit_0)',
  'contains:ready&not_contains:error',
  '((exit_0|(exit_1&(stdout~a|stderr~b))))',
];

const mutation = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), ch: fc.constantFrom(...ALPHABET, ...WORDS) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), ch: fc.constantFrom(...ALPHABET) }),
);

function mutate(text: string, ops: ReadonlyArray<{ op: 'insert' | 'delete' | 'replace'; at: number; ch: string }>): string {
  let out = text;
  for (const m of ops) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.op === 'insert') out = out.slice(0, at) + m.ch + out.slice(at);
    else if (m.op === 'delete') out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + m.ch + out.slice(at + 1);
  }
  return out;
}

test('mutations of valid conditions never throw and keep diagnostics in range', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 4 }), (base, ops) => checkParse(mutate(base, ops))),
    { numRuns: 5000 },
  );
  t.is(mutate('abc', [{ op: 'delete', at: 1, ch: '' }]), 'ac');
});
