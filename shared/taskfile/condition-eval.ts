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

function compare(node: CompareNode, ctx: EvalContext): boolean {
  const left = leftValue(node, ctx);
  // An output longer than COMPARE_LIMIT equals no operand and is no number.
  if (left === undefined) return node.op === '!=' || node.op === '!~';
  const right = coerce(resolveSafely(ctx, node.right));
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

function stream(node: StreamNode, ctx: EvalContext): boolean {
  const output = view(ctx, node.stream);
  const pattern = resolveSafely(ctx, node.pattern);
  if (pattern === '') {
    // Peer semantics: stdout is empty after a full whitespace strip; stderr only loses trailing newlines.
    const empty = node.stream === 'stdout' ? output.isBlank() : output.isEmptyBeforeNewlines();
    return node.negated ? !empty : empty;
  }
  const found = output.contains(pattern);
  return node.negated ? !found : found;
}

/** Lines of the output after stripping surrounding whitespace; empty output counts 0. */
export function countLines(output: string): number {
  return textOutput(output).lineCount();
}

function count(node: CountNode, ctx: EvalContext): boolean {
  const raw = resolveSafely(ctx, node.value).trim();
  if (!/^\d+$/.test(raw)) return false;
  const n = Number(raw);
  const lines = view(ctx, node.stream).lineCount();
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
      return stream(node, ctx);
    case 'count':
      return count(node, ctx);
    case 'success':
      return ctx.success ?? ctx.exitCode === 0;
    case 'literal':
      return node.value;
    case 'compare':
      return compare(node, ctx);
    case 'truthy':
      return truthy(node.text, ctx, depth);
    case 'legacyContains': {
      const pattern = resolveSafely(ctx, node.pattern);
      // An empty pattern is contained in any text (String.prototype.includes).
      const found = pattern === '' || view(ctx, 'stdout').contains(pattern);
      return node.negated ? !found : found;
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
