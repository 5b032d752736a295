/** Test helpers for the condition language. */
import type { ConditionNode, EvalContext } from '../../shared/taskfile/condition.js';

/** A compact, position-free rendering of an AST that shows its structure. */
export function sexpr(node: ConditionNode): string {
  switch (node.kind) {
    case 'or':
    case 'and':
      return `${node.kind}(${node.children.map(sexpr).join(', ')})`;
    case 'exit':
      return `exit(${node.code})`;
    case 'exitNot0':
      return 'exitNot0';
    case 'stream':
      return `${node.stream}${node.negated ? '!~' : '~'}[${node.pattern}]`;
    case 'count':
      return `${node.stream}_count${node.op}[${node.value}]`;
    case 'success':
      return 'success';
    case 'literal':
      return String(node.value);
    case 'compare':
      return `cmp(${node.subject}:[${node.left}] ${node.op} [${node.right}])`;
    case 'truthy':
      return `truthy[${node.text}]`;
    case 'legacyContains':
      return `${node.negated ? 'not_' : ''}contains[${node.pattern}]`;
  }
}

/** An evaluation context with defaults and a resolver backed by a plain map. */
export function context(partial: Partial<Omit<EvalContext, 'resolve'>> & { vars?: Record<string, string> } = {}): EvalContext {
  const vars = partial.vars ?? {};
  const ctx: EvalContext = {
    exitCode: partial.exitCode ?? 0,
    stdout: partial.stdout ?? '',
    stderr: partial.stderr ?? '',
    resolve: (text) => text.replace(/@([A-Za-z0-9_]+)@/g, (whole, name: string) => vars[name] ?? whole),
  };
  if (partial.success !== undefined) ctx.success = partial.success;
  return ctx;
}
