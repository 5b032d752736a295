/** Canonical text of a condition AST; parsing the result gives back an equivalent AST. */
import type { ConditionNode } from './condition-ast.js';

/**
 * An operand is quoted when it would not survive unquoted: surrounding whitespace, operator or
 * grouping characters, quotes, a leading comparison character, or a textual AND/OR.
 */
function operand(text: string): string {
  const unsafe = text !== text.trim() || /[&|()"']/.test(text) || /^[=~!<>]/.test(text) || /\s(AND|OR)\s/.test(text);
  return unsafe ? `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : text;
}

/** Canonical text, for debug lines like "next `exit_0|stderr~` → false". */
export function formatCondition(node: ConditionNode): string {
  switch (node.kind) {
    case 'or':
      return node.children.map(formatCondition).join('|');
    case 'and':
      return node.children.map((c) => (c.kind === 'or' ? `(${formatCondition(c)})` : formatCondition(c))).join('&');
    case 'exit':
      return `exit_${BigInt(node.code)}`;
    case 'exitNot0':
      return 'exit_not_0';
    case 'stream':
      return `${node.stream}${node.negated ? '!~' : '~'}${node.pattern === '' ? '' : operand(node.pattern)}`;
    case 'count':
      return `${node.stream}_count${node.op}${node.value}`;
    case 'success':
      return 'success';
    case 'literal':
      return String(node.value);
    case 'compare':
      return `${node.left}${node.op}${node.right === '' ? '' : operand(node.right)}`;
    case 'truthy':
      return node.text;
    case 'legacyContains':
      return `${node.negated ? 'not_' : ''}contains:${node.pattern === '' ? '' : operand(node.pattern)}`;
  }
}
