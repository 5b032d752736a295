/** A block's aggregate rule (`success=min_success=2`, the default all_success) as an explained term. */
import type { AggregateRule } from '../../shared/taskfile/model.js';
import type { DecisionTerm } from '../../shared/taskfile/explain.js';

/** `min_success=2: 1 of 3 succeeded, 1 ≥ 2 → false`, from the sub-tasks' results and the rule's result. */
export function explainRule(rule: AggregateRule, subs: readonly { result: { success: boolean } }[], result: boolean): DecisionTerm {
  const total = subs.length;
  const ok = subs.filter((s) => s.result.success).length;
  const failed = total - ok;
  const n = rule.n ?? 0;
  const expr = rule.n !== undefined ? `${rule.kind}=${rule.n}` : rule.kind;
  const tally = `${ok} of ${total} succeeded`;
  return { expr, values: `${tally}${ruleTest(rule.kind, ok, failed, total, n)}`, result };
}

function ruleTest(kind: AggregateRule['kind'], ok: number, failed: number, total: number, n: number): string {
  switch (kind) {
    case 'all_success': return `, ${ok} = ${total}`;
    case 'any_success': return `, ${ok} > 0`;
    case 'majority_success': return `, ${ok} > ${total / 2}`;
    case 'min_success': return `, ${ok} ≥ ${n}`;
    case 'max_success': return `, ${ok} ≤ ${n}`;
    case 'min_failed': return `, ${failed} failed ≥ ${n}`;
    case 'max_failed': return `, ${failed} failed ≤ ${n}`;
    case 'success_threshold': return total === 0 ? ', no sub-tasks' : `, ${Math.round((ok * 1000) / total) / 10}% ≥ ${n}%`;
    case 'always':
    case 'never': return `, ${kind}`;
  }
}
