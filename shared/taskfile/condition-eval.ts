/** Evaluation of a parsed condition against a task result: a pure function that never throws. */
import type { CompareNode, ConditionNode, CountNode, StreamNode } from './condition-ast.js';
import { parseCondition } from './condition-parser.js';
import { textOutput, withoutTrailingNewlines, type OutputView } from './output-view.js';

export interface EvalContext {
  exitCode: number;
  stdout: string;
  stderr: string;
  /**
   * The whole streams, when they are more than `stdout`/`stderr` hold (an output that spilled to a
   * file): stream atoms read these instead of the text.
   */
  stdoutView?: OutputView;
  stderrView?: OutputView;
  /** Success of the current task (for the `success` atom); when undefined, `success` means exitCode === 0. */
  success?: boolean;
  /** Substitute @…@ placeholders in a raw operand; unresolved ones stay literal. */
  resolve: (text: string) => string;
  /** Told what each node saw and gave, children before their parent (explain.ts); evaluation is the same with or without it. */
  trace?: (event: TermEvent) => void;
}

/** What one node of a condition saw when it was evaluated: the operands after substitution and the result. */
export interface TermEvent {
  node: ConditionNode;
  result: boolean;
  /** Compare: the left value (undefined: an output too long to compare); count: the line count; truthy: the value. */
  left?: string;
  /** Compare and count: the right operand; stream: the pattern. */
  right?: string;
  /** A `<`, `>`, `<=`, `>=` or count operand that is not a number (the comparison is false). */
  notNumber?: boolean;
  /** Stream atoms: the output text held in memory (the head of a spilled stream) and whether it spilled. */
  output?: string;
  spilled?: boolean;
  /** Indirection depth: > 0 inside a condition a bare placeholder expanded to. */
  depth: number;
}

/** How often a bare placeholder may expand into another condition (`SUCCESS_COND=exit_0`). */
const MAX_INDIRECTION = 8;

function resolveSafely(ctx: EvalContext, text: string): string {
  if (!text.includes('@')) return text;
  try {
    const out = ctx.resolve(text);
    return typeof out === 'string' ? out : text;
  } catch {
    return text;
  }
}

type Value = { type: 'bool'; value: boolean; text: string } | { type: 'num'; value: number; text: string } | { type: 'str'; text: string };

/** The peer's coercion: true/false (any case) → bool, integer or decimal text → number, else trimmed text. */
function coerce(raw: string): Value {
  const text = raw.trim();
  if (/^(true|false)$/i.test(text)) return { type: 'bool', value: text.toLowerCase() === 'true', text };
  if (/^[+-]?(\d+|\d+\.\d*|\.\d+)$/.test(text)) return { type: 'num', value: Number(text), text };
  return { type: 'str', text };
}

function canonical(v: Value): string {
  if (v.type === 'bool') return String(v.value);
  if (v.type === 'num') {
    // Whole numbers compare exactly however long they are; `01` equals `1`.
    if (/^[+-]?\d+$/.test(v.text)) return BigInt(v.text).toString();
    return String(v.value);
  }
  return v.text;
}

function equal(a: Value, b: Value): boolean {
  if (a.type === 'num' && b.type === 'num') {
    const ints = /^[+-]?\d+$/;
    if (ints.test(a.text) && ints.test(b.text)) return BigInt(a.text) === BigInt(b.text);
    return a.value === b.value;
  }
  return canonical(a) === canonical(b);
}

/** The stream a stream atom reads: the whole output, wherever it is kept. */
function view(ctx: EvalContext, name: 'stdout' | 'stderr'): OutputView {
  return (name === 'stdout' ? ctx.stdoutView : ctx.stderrView) ?? textOutput(name === 'stdout' ? ctx.stdout : ctx.stderr);
}

/** The left side of a comparison; undefined for an output too long to compare (COMPARE_LIMIT). */
function leftValue(node: CompareNode, ctx: EvalContext): Value | undefined {
  switch (node.subject) {
    case 'exit':
      return { type: 'num', value: ctx.exitCode, text: String(ctx.exitCode) };
    case 'stdout':
    case 'stderr': {
      const text = view(ctx, node.subject).trimmed();
      return text === undefined ? undefined : coerce(text);
    }
    case 'text':
      return coerce(resolveSafely(ctx, node.left));
  }
}

function compare(node: CompareNode, ctx: EvalContext, depth: number): boolean {
  const left = leftValue(node, ctx);
  if (!ctx.trace) return compareValues(node, left, left && coerce(resolveSafely(ctx, node.right)));
  const right = coerce(resolveSafely(ctx, node.right));
  const result = compareValues(node, left, right);
  const numeric = node.op === '<' || node.op === '>' || node.op === '<=' || node.op === '>=';
  ctx.trace({ node, result, left: left?.text, right: right.text, notNumber: numeric && (left?.type !== 'num' || right.type !== 'num'), depth });
  return result;
}

function compareValues(node: CompareNode, left: Value | undefined, right: Value | undefined): boolean {
  // An output longer than COMPARE_LIMIT equals no operand and is no number.
  if (left === undefined || right === undefined) return node.op === '!=' || node.op === '!~';
  switch (node.op) {
    case '=':
      return equal(left, right);
    case '!=':
      return !equal(left, right);
    case '~':
      return left.text.includes(right.text);
    case '!~':
      return !left.text.includes(right.text);
    default: {
      if (left.type !== 'num' || right.type !== 'num') return false;
      const [a, b] = [left.value, right.value];
      return node.op === '<' ? a < b : node.op === '<=' ? a <= b : node.op === '>' ? a > b : a >= b;
    }
  }
}

function stream(node: StreamNode, ctx: EvalContext, depth: number): boolean {
  const pattern = resolveSafely(ctx, node.pattern);
  const result = streamResult(node.stream, node.negated, pattern, ctx);
  if (ctx.trace) traceStream(ctx, node, node.stream, pattern, result, depth);
  return result;
}

function streamResult(name: 'stdout' | 'stderr', negated: boolean, pattern: string, ctx: EvalContext): boolean {
  const output = view(ctx, name);
  if (pattern === '') {
    // Peer semantics: stdout is empty after a full whitespace strip; stderr only loses trailing newlines.
    const empty = name === 'stdout' ? output.isBlank() : output.isEmptyBeforeNewlines();
    return negated ? !empty : empty;
  }
  const found = output.contains(pattern);
  return negated ? !found : found;
}

function traceStream(ctx: EvalContext, node: ConditionNode, name: 'stdout' | 'stderr', pattern: string, result: boolean, depth: number): void {
  const spilled = (name === 'stdout' ? ctx.stdoutView : ctx.stderrView) !== undefined;
  ctx.trace!({ node, result, right: pattern, output: name === 'stdout' ? ctx.stdout : ctx.stderr, spilled, depth });
}

/** Lines of the output after stripping surrounding whitespace; empty output counts 0. */
export function countLines(output: string): number {
  return textOutput(output).lineCount();
}

function count(node: CountNode, ctx: EvalContext, depth: number): boolean {
  const raw = resolveSafely(ctx, node.value).trim();
  const whole = /^\d+$/.test(raw);
  const lines = whole || ctx.trace ? view(ctx, node.stream).lineCount() : 0;
  const result = whole && countResult(node, lines, Number(raw));
  ctx.trace?.({ node, result, left: String(lines), right: raw, notNumber: !whole, depth });
  return result;
}

function countResult(node: CountNode, lines: number, n: number): boolean {
  switch (node.op) {
    case '=':
      return lines === n;
    case '<':
      return lines < n;
    case '>':
      return lines > n;
    case '<=':
      return lines <= n;
    case '>=':
      return lines >= n;
  }
}

/**
 * A bare placeholder: `true`/`yes`/`1` are true, `false`/`no`/`0`/empty false. Any other value that
 * is itself a valid condition (a global `SUCCESS_COND=exit_0` used as `success=@SUCCESS_COND@`) is
 * evaluated as that condition, as the peer does by substituting first; anything else is false.
 */
function truthy(text: string, ctx: EvalContext, depth: number): boolean {
  const value = resolveSafely(ctx, text).trim();
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (value === text.trim() || depth >= MAX_INDIRECTION || /^(false|no|0|)$/i.test(value)) return false;
  const parsed = parseCondition(value);
  return parsed.ast !== null && evaluate(parsed.ast, ctx, depth + 1);
}

function evaluate(node: ConditionNode, ctx: EvalContext, depth: number): boolean {
  if (!ctx.trace) return evaluateNode(node, ctx, depth);
  const result = evaluateNode(node, ctx, depth);
  // Compare, count and stream atoms tell their own operands.
  if (node.kind === 'compare' || node.kind === 'count' || node.kind === 'stream' || node.kind === 'legacyContains') return result;
  const left = node.kind === 'truthy' ? resolveSafely(ctx, node.text).trim() : undefined;
  ctx.trace({ node, result, depth, ...(left !== undefined ? { left } : {}) });
  return result;
}

function evaluateNode(node: ConditionNode, ctx: EvalContext, depth: number): boolean {
  switch (node.kind) {
    case 'or':
      return node.children.some((c) => evaluate(c, ctx, depth));
    case 'and':
      return node.children.every((c) => evaluate(c, ctx, depth));
    case 'exit':
      return ctx.exitCode === node.code;
    case 'exitNot0':
      return ctx.exitCode !== 0;
    case 'stream':
      return stream(node, ctx, depth);
    case 'count':
      return count(node, ctx, depth);
    case 'success':
      return ctx.success ?? ctx.exitCode === 0;
    case 'literal':
      return node.value;
    case 'compare':
      return compare(node, ctx, depth);
    case 'truthy':
      return truthy(node.text, ctx, depth);
    case 'legacyContains': {
      const pattern = resolveSafely(ctx, node.pattern);
      // An empty pattern is contained in any text (String.prototype.includes).
      const found = pattern === '' || view(ctx, 'stdout').contains(pattern);
      const result = node.negated ? !found : found;
      if (ctx.trace) traceStream(ctx, node, 'stdout', pattern, result, depth);
      return result;
    }
  }
}

/** Evaluate a condition against a task result; pure and never throws. */
export function evaluateCondition(node: ConditionNode, ctx: EvalContext): boolean {
  try {
    return evaluate(node, ctx, 0);
  } catch {
    return false;
  }
}

const PLACEHOLDER = /@([A-Za-z0-9_]+)@/g;

function rawTexts(node: ConditionNode): string[] {
  switch (node.kind) {
    case 'or':
    case 'and':
      return node.children.flatMap(rawTexts);
    case 'stream':
    case 'legacyContains':
      return [node.pattern];
    case 'count':
      return [node.value];
    case 'compare':
      return node.subject === 'text' ? [node.left, node.right] : [node.right];
    case 'truthy':
      return [node.text];
    default:
      return [];
  }
}

/** Every @NAME@ the condition references, without the @s, in order of appearance, deduplicated. */
export function conditionVariables(node: ConditionNode): string[] {
  const seen = new Set<string>();
  for (const text of rawTexts(node)) {
    for (const m of text.matchAll(PLACEHOLDER)) seen.add(m[1]!);
  }
  return [...seen];
}
