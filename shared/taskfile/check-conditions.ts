/**
 * Conditions and next= rules checked once per distinct text: their parses are read-only, so one
 * (with the list of its problems) serves every task that repeats it. Validation adds one check the
 * grammar does not make: a comparison of a constant (`word~x`).
 */
import { parseCondition, parseNext } from './condition.js';
import type { ConditionDiagnostic, ConditionNode, NextSpec } from './condition.js';
import { suggest } from './diagnostics.js';

export interface CheckedCondition {
  ast: ConditionNode | null;
  problems: ConditionDiagnostic[];
}

export interface CheckedNext {
  next: NextSpec | null;
  problems: ConditionDiagnostic[];
}

export class ConditionChecker {
  private readonly conditions = new Map<string, CheckedCondition>();
  private readonly nexts = new Map<string, CheckedNext>();

  /** The condition's parse, with its problems (constant comparisons included). */
  checkCondition(text: string): CheckedCondition {
    let r = this.conditions.get(text);
    if (!r) {
      const parsed = parseCondition(text);
      this.conditions.set(text, (r = { ast: parsed.ast, problems: withConstantComparisons(parsed.diagnostics, parsed.ast) }));
    }
    return r;
  }

  /** The next= rule's parse, with its problems (constant comparisons in its condition included). */
  checkNext(text: string): CheckedNext {
    let r = this.nexts.get(text);
    if (!r) {
      const parsed = parseNext(text);
      const ast = parsed.next?.kind === 'condition' || parsed.next?.kind === 'loop' ? parsed.next.condition : null;
      this.nexts.set(text, (r = { next: parsed.next, problems: withConstantComparisons(parsed.diagnostics, ast) }));
    }
    return r;
  }
}

/** A condition's parse problems, followed by its constant comparisons when it parsed. */
function withConstantComparisons(problems: ConditionDiagnostic[], ast: ConditionNode | null): ConditionDiagnostic[] {
  return ast ? [...problems, ...constantComparisons(ast)] : problems;
}

/**
 * `word~x` compares a constant: it can never depend on the task, so it is almost certainly a misspelt
 * `stdout~x` (or a variable missing its @s). The grammar accepts it; validation rejects it.
 */
function constantComparisons(node: ConditionNode): ConditionDiagnostic[] {
  if (node.kind === 'or' || node.kind === 'and') return node.children.flatMap(constantComparisons);
  if (node.kind !== 'compare' || node.subject !== 'text' || node.left.includes('@')) return [];
  const guess = suggest(node.left, ['stdout', 'stderr', 'exit']);
  return [{
    code: 'UNKNOWN_CONDITION', severity: 'error', offset: node.start, length: node.left.length,
    message: `'${node.left}' is not something a condition can test`,
    hint: guess ? `did you mean '${guess}${node.op}${node.right}'?` : `test stdout, stderr or exit, or a variable such as @${node.left}@`,
  }];
}
