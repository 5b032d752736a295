/**
 * The condition language of `next`, `success`, `failure`, `condition` and `loop_break`:
 * parse to a typed AST (`parseCondition`, `parseNext`), evaluate it (`evaluateCondition`),
 * list its variables and print it back canonically.
 */
export type {
  AndNode,
  CompareNode,
  CompareOperator,
  ConditionDiagnostic,
  ConditionNode,
  CountNode,
  CountOperator,
  ExitNode,
  ExitNot0Node,
  LegacyContainsNode,
  LiteralNode,
  NextSpec,
  OrNode,
  ParsedCondition,
  StreamName,
  StreamNode,
  SuccessNode,
  TruthyNode,
} from './condition-ast.js';
export { CONDITION_WORDS } from './condition-ast.js';
export { parseCondition } from './condition-parser.js';
export { parseNext } from './condition-next.js';
export { conditionVariables, countLines, evaluateCondition } from './condition-eval.js';
export type { EvalContext } from './condition-eval.js';
export { formatCondition } from './condition-format.js';
