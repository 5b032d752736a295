/**
 * Typed AST of the condition language used by `next`, `success`, `failure`, `condition` and
 * `loop_break`. Every node carries `start`/`end`, 0-based offsets into the text it was parsed
 * from (for `next=loop&COND`, into the whole `next` value).
 *
 * Operands keep their raw text with `@…@` placeholders: substitution happens at evaluation time,
 * so a substituted value containing `|` or `&` can never change the structure of an expression.
 */

export type StreamName = 'stdout' | 'stderr';
export type CountOperator = '=' | '<' | '>' | '<=' | '>=';
export type CompareOperator = '=' | '!=' | '<' | '>' | '<=' | '>=' | '~' | '!~';

interface Span {
  start: number;
  end: number;
}

/** `a|b|…`: true when any child is true. Always at least two children. */
export interface OrNode extends Span {
  kind: 'or';
  children: ConditionNode[];
}

/** `a&b&…`: true when every child is true. Always at least two children. */
export interface AndNode extends Span {
  kind: 'and';
  children: ConditionNode[];
}

/** `exit_N`: the exit code equals `code`. */
export interface ExitNode extends Span {
  kind: 'exit';
  code: number;
}

/** `exit_not_0`. */
export interface ExitNot0Node extends Span {
  kind: 'exitNot0';
}

/**
 * `stdout~P` / `stdout!~P` (and stderr). An empty pattern (also one that resolves to empty)
 * tests for empty output instead.
 */
export interface StreamNode extends Span {
  kind: 'stream';
  stream: StreamName;
  negated: boolean;
  /** Raw pattern, quotes removed, placeholders unresolved. */
  pattern: string;
}

/** `stdout_count OP N`. */
export interface CountNode extends Span {
  kind: 'count';
  stream: StreamName;
  op: CountOperator;
  /** Raw operand: a whole number or text with placeholders that must resolve to one. */
  value: string;
}

/** `success`: the current task's success (exit code 0 when nothing else is known). */
export interface SuccessNode extends Span {
  kind: 'success';
}

/** `true` / `false`. */
export interface LiteralNode extends Span {
  kind: 'literal';
  value: boolean;
}

/** `LEFT OP RIGHT`. `subject` says where the left value comes from. */
export interface CompareNode extends Span {
  kind: 'compare';
  /** `exit` → exit code, `stdout`/`stderr` → the output, `text` → `left` after substitution. */
  subject: 'exit' | 'stdout' | 'stderr' | 'text';
  /** Raw left text; for the other subjects the subject's name. */
  left: string;
  op: CompareOperator;
  /** Raw right text, quotes removed, placeholders unresolved. */
  right: string;
}

/** A bare placeholder such as `@0_success@`: true when its value is truthy. */
export interface TruthyNode extends Span {
  kind: 'truthy';
  text: string;
}

/** Legacy `contains:X` / `not_contains:X` on stdout. */
export interface LegacyContainsNode extends Span {
  kind: 'legacyContains';
  negated: boolean;
  pattern: string;
}

export type ConditionNode =
  | OrNode
  | AndNode
  | ExitNode
  | ExitNot0Node
  | StreamNode
  | CountNode
  | SuccessNode
  | LiteralNode
  | CompareNode
  | TruthyNode
  | LegacyContainsNode;

/** A problem found in a condition; `offset`/`length` are 0-based into the parsed text. */
export interface ConditionDiagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  offset: number;
  length: number;
  hint?: string;
}

export interface ParsedCondition {
  /** Null when there is any error. */
  ast: ConditionNode | null;
  diagnostics: ConditionDiagnostic[];
}

/** `next` values: always | never | loop | loop&COND | any condition. */
export type NextSpec =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'loop'; condition: ConditionNode | null }
  | { kind: 'condition'; condition: ConditionNode };

/** Known atom words, for did-you-mean suggestions. */
export const CONDITION_WORDS: readonly string[] = Object.freeze([
  'exit_0',
  'exit_not_0',
  'success',
  'true',
  'false',
  'stdout',
  'stderr',
  'stdout_count',
  'stderr_count',
  'exit',
  'contains',
  'not_contains',
]);
