/** Classification of one atom once its head, operator and operand are scanned. */
import { suggest } from './diagnostics.js';
import type { CompareOperator, ConditionNode, CountOperator, StreamName } from './condition-ast.js';

export type Report = (severity: 'error' | 'warning', code: string, offset: number, length: number, message: string, hint?: string) => void;

export const OPERATORS = ['!~', '!=', '<=', '>=', '==', '=', '~', '<', '>'] as const;
export type ScannedOperator = (typeof OPERATORS)[number];

export interface Operand {
  value: string;
  start: number;
  end: number;
}

/** Block outcome rules (type=parallel/conditional); they are not conditions of a single result. */
const BLOCK_RULES = /^(all_success|any_success|majority_success|min_success|max_success|min_failed|max_failed|success_threshold)$/;

const COUNT_OPERATORS: readonly string[] = ['=', '<', '>', '<=', '>='];

const KNOWN_HINT =
  'conditions are exit_N, exit_not_0, success, true, false, stdout~TEXT, stdout!~TEXT, stdout~ (empty), ' +
  'stdout_count=N, @VAR@=VALUE (stderr works like stdout), combined with & and | and grouped with ( )';

/** Heads that can stand before an operator, for suggestions. */
const OPERATOR_HEADS = ['exit', 'stdout', 'stderr', 'stdout_count', 'stderr_count'];
/** Complete atoms, for suggestions. */
const BARE_WORDS = ['exit_not_0', 'success', 'true', 'false', 'stdout', 'stderr', 'stdout_count', 'stderr_count', 'exit'];

/** An atom without an operator: exit_N, exit_not_0, success, true, false, or a bare placeholder. */
export function classifyBare(report: Report, head: string, start: number, end: number): ConditionNode | null {
  const lower = head.toLowerCase();
  const exit = /^exit_(\d+)$/.exec(lower);
  if (exit) {
    const code = Number(exit[1]);
    if (code > 255) {
      report('warning', 'EXIT_CODE_RANGE', start, end - start, `exit codes are 0 to 255, so '${head}' is never true`);
    }
    return { kind: 'exit', code, start, end };
  }
  switch (lower) {
    case 'exit_not_0':
      return { kind: 'exitNot0', start, end };
    case 'success':
      return { kind: 'success', start, end };
    case 'true':
    case 'false':
      return { kind: 'literal', value: lower === 'true', start, end };
    case 'exit':
      report('error', 'INCOMPLETE_CONDITION', start, end - start, `'${head}' needs a code`, 'write exit_0, exit_N or exit_not_0');
      return null;
    case 'stdout':
    case 'stderr':
      report(
        'error',
        'INCOMPLETE_CONDITION',
        start,
        end - start,
        `'${head}' needs an operator`,
        `write ${lower}~TEXT (contains), ${lower}!~TEXT (does not contain), ${lower}~ (empty) or ${lower}=TEXT`,
      );
      return null;
    case 'stdout_count':
    case 'stderr_count':
      report('error', 'INCOMPLETE_CONDITION', start, end - start, `'${head}' needs an operator and a number`, `write ${lower}=N, ${lower}>N or ${lower}<N`);
      return null;
  }
  if (BLOCK_RULES.test(lower)) {
    blockRule(report, head, start, end);
    return null;
  }
  if (head.includes('@')) return { kind: 'truthy', text: head, start, end };
  const digits = /(\d+)$/.exec(head);
  const candidates = digits ? [`exit_${digits[1]}`, ...BARE_WORDS] : BARE_WORDS;
  unknown(report, head, head, candidates, '', start, end);
  return null;
}

function blockRule(report: Report, atom: string, start: number, end: number): void {
  report(
    'error',
    'BLOCK_CONDITION',
    start,
    end - start,
    `'${atom}' is a block rule, not a condition`,
    'block rules (all_success, any_success, majority_success, min_success=N, …) apply only to type=parallel and type=conditional tasks',
  );
}

/** UNKNOWN_CONDITION, with a did-you-mean built from the known words when one is close. */
function unknown(report: Report, atom: string, head: string, candidates: readonly string[], rest: string, start: number, end: number): void {
  const better = suggest(head, candidates);
  if (better !== undefined) {
    report('error', 'UNKNOWN_CONDITION', start, end - start, `'${atom}' is not a condition; did you mean '${better}${rest}'?`);
  } else {
    report('error', 'UNKNOWN_CONDITION', start, end - start, `'${atom}' is not a condition`, KNOWN_HINT);
  }
}

/** An atom `HEAD OP OPERAND`: stream test, line count, or comparison. */
export function classifyOperator(
  report: Report,
  text: string,
  head: string,
  scanned: ScannedOperator,
  opStart: number,
  operand: Operand,
  start: number,
  end: number,
): ConditionNode | null {
  warnAmbiguousOperand(report, text, head, scanned, operand);
  const lower = head.toLowerCase();
  let op: CompareOperator;
  if (scanned === '==') {
    report('error', 'DOUBLE_EQUALS', opStart, 2, "'==' is not an operator", "use a single '=' to compare");
    op = '=';
  } else {
    op = scanned;
  }
  if (lower === 'stdout' || lower === 'stderr') {
    if (op === '~' || op === '!~') {
      return { kind: 'stream', stream: lower, negated: op === '!~', pattern: operand.value, start, end };
    }
    return { kind: 'compare', subject: lower, left: lower, op, right: operand.value, start, end };
  }
  const count = /^(stdout|stderr)_count$/.exec(lower);
  if (count) {
    const stream = count[1] as StreamName;
    if (!COUNT_OPERATORS.includes(op)) {
      report('error', 'BAD_COUNT_OPERATOR', opStart, scanned.length, `'${head}' cannot use '${scanned}'`, `use one of = < > <= >=, e.g. ${lower}>=3`);
      return null;
    }
    const value = operand.value.trim();
    if (!/^\d+$/.test(value) && !value.includes('@')) {
      report(
        'error',
        'BAD_COUNT_OPERAND',
        operand.start,
        operand.end - operand.start,
        value === '' ? `'${head}${scanned}' needs a number` : `'${value}' is not a line count`,
        `write a whole number of lines, e.g. ${lower}${op}3`,
      );
      return null;
    }
    return { kind: 'count', stream, op: op as CountOperator, value, start, end };
  }
  if (lower === 'exit') {
    if (op === '=' && scanned === '=' && /^\d+$/.test(operand.value.trim())) {
      const n = operand.value.trim();
      report('error', 'EXIT_COMPARISON', start, end - start, `'${text.slice(start, end)}' is not a condition; use exit_${Number(n)}`, `write exit_${Number(n)} to test the exit code`);
      return null;
    }
    return { kind: 'compare', subject: 'exit', left: 'exit', op, right: operand.value, start, end };
  }
  if (head.includes('@')) return { kind: 'compare', subject: 'text', left: head, op, right: operand.value, start, end };
  if (BLOCK_RULES.test(lower)) {
    blockRule(report, text.slice(start, end), start, end);
    return null;
  }
  const atom = text.slice(start, end);
  if (/^exit_(\d+|not_0)$/.test(lower)) {
    report('error', 'UNKNOWN_CONDITION', start, end - start, `'${atom}' is not a condition; '${head}' takes no operator`, `write ${head} alone, or compare a variable such as @0_exit@${op}VALUE`);
    return null;
  }
  if (suggest(head, OPERATOR_HEADS) !== undefined) {
    unknown(report, atom, head, OPERATOR_HEADS, atom.slice(head.length), start, end);
    return null;
  }
  return { kind: 'compare', subject: 'text', left: head, op, right: operand.value, start, end };
}

/**
 * An unquoted operand that itself holds an operator (`stdout~a >= 5`, `@0_stdout@=k=v`) is read as
 * the whole text after the first operator; a reader may well read it otherwise, so say so and
 * show the quoted form, which means the same without the doubt.
 */
function warnAmbiguousOperand(report: Report, text: string, head: string, op: ScannedOperator, operand: Operand): void {
  const first = text[operand.start];
  if (first === '"' || first === "'" || operand.value === '') return;
  const inner = OPERATORS.find((o) => operand.value.includes(o));
  if (inner === undefined || /^(stdout|stderr)_count$/i.test(head)) return;
  const quoted = operand.value.includes('"') ? `'${operand.value}'` : `"${operand.value}"`;
  report(
    'warning',
    'AMBIGUOUS_PATTERN',
    operand.start,
    operand.end - operand.start,
    `'${operand.value}' holds the operator '${inner}'; it is read as the whole text after '${head}${op}'`,
    `quote it to say so: ${head}${op}${quoted}`,
  );
}
