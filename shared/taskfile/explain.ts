/**
 * Explained conditions: a condition evaluated with each term's values recorded, for `--explain`,
 * `-d` and the JSON `decisions` (docs/task-files.md "Explained decisions"). The result is the one
 * evaluateCondition gives: the same evaluation runs, only told to report what it saw.
 */
import type { ConditionNode } from './condition-ast.js';
import { evaluateCondition, type EvalContext, type TermEvent } from './condition-eval.js';
import { formatCondition } from './condition-format.js';
import { withoutTrailingNewlines } from './output-view.js';

/** One term of a decision: `exit_0: 0 = 0 → true` is `{ expr: 'exit_0', values: '0 = 0', result: true }`. */
export interface DecisionTerm {
  expr: string;
  values: string;
  result: boolean;
}

/** A term whose operands look wrong: not a number in a numeric comparison, or an unexpanded variable. */
export interface TermWarning {
  expr: string;
  message: string;
}

export interface ExplainedCondition {
  result: boolean;
  /** Children before their parent; the last term is the whole condition. */
  terms: DecisionTerm[];
  warnings: TermWarning[];
}

/** Longest excerpt of a value, in characters; a longer value is cut with `…`. */
export const EXCERPT_LIMIT = 200;
/** Most terms kept per decision: the first ones and the whole condition. */
export const MAX_TERMS = 50;

/** A condition's nodes are evaluated again and again (loops, every run of a task): their text is made once. */
const TEXTS = new WeakMap<ConditionNode, string>();

function textOf(node: ConditionNode): string {
  let text = TEXTS.get(node);
  if (text === undefined) TEXTS.set(node, (text = formatCondition(node)));
  return text;
}

const OP_WORDS: Record<string, string> = { '~': 'contains', '!~': 'does not contain' };
const PLACEHOLDER = /@[A-Za-z0-9_]+@/;
const UNEXPANDED = /@[A-Za-z0-9_]+@|\$\{[A-Za-z_][A-Za-z0-9_]*[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/;

/** `text` cut to EXCERPT_LIMIT characters around `at` (where a match starts), with `…` where cut. */
export function excerpt(text: string, at = 0): string {
  if (text.length <= EXCERPT_LIMIT) return text;
  let start = Math.max(0, Math.min(at - Math.floor(EXCERPT_LIMIT / 4), text.length - EXCERPT_LIMIT));
  let end = start + EXCERPT_LIMIT;
  // Never cut a surrogate pair in two.
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start++;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end--;
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** A value as shown in a term: masked first (a cut never splits a secret), cut, quoted with escapes. */
function quote(text: string, mask: (s: string) => string, at?: string): string {
  const masked = mask(text);
  const index = at === undefined || at === '' ? 0 : masked.indexOf(mask(at));
  return JSON.stringify(excerpt(masked, Math.max(0, index)));
}

/** Evaluate `node` as evaluateCondition does, recording every term with the values it saw. */
export function explainCondition(node: ConditionNode, ctx: EvalContext, mask: (s: string) => string = (s) => s): ExplainedCondition {
  const events: TermEvent[] = [];
  const result = evaluateCondition(node, { ...ctx, trace: (e) => events.push(e) });
  const seen = new Map<ConditionNode, boolean>(events.map((e) => [e.node, e.result]));
  const terms: DecisionTerm[] = [];
  const warnings: TermWarning[] = [];
  for (const e of events) {
    const expr = mask(textOf(e.node));
    terms.push({ expr, values: valuesOf(e, ctx, seen, mask), result: e.result });
    const message = suspicionOf(e, () => expr, mask);
    if (message !== undefined) warnings.push({ expr, message });
  }
  // The root is always traced last; evaluateCondition catches a throw as false, leaving it untraced.
  if (terms.length === 0 || events[events.length - 1]!.node !== node) terms.push({ expr: mask(textOf(node)), values: 'not evaluated', result });
  return { result, terms: boundTerms(terms), warnings };
}

function boundTerms(terms: DecisionTerm[]): DecisionTerm[] {
  if (terms.length <= MAX_TERMS) return terms;
  const root = terms[terms.length - 1]!;
  return [...terms.slice(0, MAX_TERMS - 2), { expr: '…', values: `${terms.length - MAX_TERMS + 1} more terms not shown`, result: root.result }, root];
}

function valuesOf(e: TermEvent, ctx: EvalContext, seen: Map<ConditionNode, boolean>, mask: (s: string) => string): string {
  const node = e.node;
  switch (node.kind) {
    case 'or':
    case 'and':
      return node.children.map((c) => (seen.has(c) ? String(seen.get(c)) : '(not evaluated)')).join(node.kind === 'and' ? ' & ' : ' | ');
    case 'exit':
      return `${ctx.exitCode} = ${node.code}`;
    case 'exitNot0':
      return `${ctx.exitCode} != 0`;
    case 'success':
      return ctx.success !== undefined ? `task success ${ctx.success}` : `exit code ${ctx.exitCode}`;
    case 'literal':
      return 'literal';
    case 'truthy':
      return truthyValues(node.text, e.left ?? '', e.result, mask);
    case 'compare': {
      const left = e.left === undefined ? '(output longer than 1 MiB)' : node.subject === 'exit' ? e.left : quote(e.left, mask);
      return `${left} ${OP_WORDS[node.op] ?? node.op} ${quote(e.right ?? '', mask)}${e.notNumber ? ' (not a number)' : ''}`;
    }
    case 'count': {
      const right = e.notNumber ? `${quote(e.right ?? '', mask)} (not a whole number)` : e.right;
      return `${e.left} line${e.left === '1' ? '' : 's'} ${node.op} ${right}`;
    }
    case 'stream':
    case 'legacyContains':
      return streamValues(e, node.kind === 'stream' ? node.stream : 'stdout', node.negated, node.kind === 'stream', mask);
  }
}

function truthyValues(text: string, value: string, result: boolean, mask: (s: string) => string): string {
  if (value === text.trim()) return `${quote(value, mask)} (not defined)`;
  if (/^(true|yes|1|false|no|0|)$/i.test(value)) return quote(value, mask);
  return `${quote(value, mask)} (${result ? 'a condition, true' : 'not true, or a condition that is false'})`;
}

function streamValues(e: TermEvent, name: 'stdout' | 'stderr', negated: boolean, emptyTest: boolean, mask: (s: string) => string): string {
  const pattern = e.right ?? '';
  const body = withoutTrailingNewlines(e.output ?? '');
  const head = e.spilled ? ' (the head kept in memory; the whole stream was searched)' : '';
  if (pattern === '' && emptyTest) {
    const shown = name === 'stdout' ? body.trim() : body;
    return `${name} ${quote(shown, mask)}${head} is ${negated ? 'not ' : ''}empty`;
  }
  return `${quote(body, mask, pattern)}${head} ${negated ? 'does not contain' : 'contains'} ${quote(pattern, mask)}`;
}

/** Why a term's operands look wrong, or undefined. */
function suspicionOf(e: TermEvent, expr: () => string, mask: (s: string) => string): string | undefined {
  const node = e.node;
  const operands = node.kind === 'compare' ? [node.subject === 'text' ? e.left : undefined, e.right]
    : node.kind === 'count' || node.kind === 'truthy' ? [node.kind === 'count' ? e.right : e.left] : [];
  const unexpanded = operands.find((v): v is string => v !== undefined && UNEXPANDED.test(v));
  const placeholder = node.kind === 'stream' || node.kind === 'legacyContains' ? (PLACEHOLDER.test(e.right ?? '') ? e.right : undefined) : undefined;
  const odd = unexpanded ?? placeholder;
  if (odd !== undefined) {
    const what = UNEXPANDED.exec(odd)![0];
    const fix = what.startsWith('@')
      ? `${what} is neither a global nor a result of a task that ran`
      : 'nothing expanded it: conditions substitute only @NAME@; $VAR and ${VAR:-default} are expanded in globals and arguments';
    return `${quote(odd, mask)} still looks like an unexpanded variable (${mask(fix)})${e.notNumber ? '; the numeric comparison is false' : ''}`;
  }
  if (e.notNumber) {
    const bad = node.kind === 'count' ? e.right : [e.left, e.right].find((v) => v === undefined || !/^\s*[+-]?(\d+|\d+\.\d*|\.\d+)\s*$/.test(v));
    return `${bad === undefined ? 'an output longer than 1 MiB' : quote(bad, mask)} is not a ${node.kind === 'count' ? 'whole number' : 'number'}, so the comparison ${expr()} is false`;
  }
  return undefined;
}
