/** The typed, validated form of a task file that the engine runs. */
import type { FieldValue, TaskFileAst } from './ast.js';
import type { ConditionNode, NextSpec } from './condition.js';
import type { BlockType } from './keys.js';
import type { Inventory } from '../inventory/index.js';
import type { RetryOn } from './retry-on.js';

export interface SplitSpec {
  delimiter: string;
  index: number;
}

/** Block outcome rules: all_success, any_success, majority_success, min_success=N, … */
export interface AggregateRule {
  kind: 'all_success' | 'any_success' | 'majority_success' | 'min_success' | 'max_success' | 'min_failed' | 'max_failed' | 'success_threshold' | 'always' | 'never';
  n?: number;
}

export interface Task {
  id: number;
  line: number;
  /** 'task' for an ordinary command (or return-only) task. */
  type: 'task' | BlockType;
  hostname: string;
  command: string;
  arguments: string;
  /** Raw exec value (may hold @VAR@); undefined → the run's default. */
  exec?: string;
  /** Raw timeout value (may hold @VAR@). */
  timeout?: string;
  sleep?: string;
  next?: NextSpec;
  /** Block routing rule given in `next` (all_success, min_success=N …). */
  nextAggregate?: AggregateRule;
  nextText?: string;
  loop?: number;
  loopBreak?: ConditionNode;
  onSuccess?: number;
  /** `goto` or `on_failure` (SPEC §2: same meaning). */
  onFailure?: number;
  returnCode?: string;
  success?: ConditionNode;
  successAggregate?: AggregateRule;
  failure?: ConditionNode;
  condition?: ConditionNode;
  stdoutSplit?: SplitSpec;
  stderrSplit?: SplitSpec;
  /** Parallel block sub-task ids, or ids generated for `hostnames=` fan-out. */
  tasks?: number[];
  hostnames?: string[];
  maxParallel?: number;
  /** Retries after the first run (`retry_count`, or 1 for legacy `retry_failed=true`). */
  retryCount?: number;
  /** Seconds before the first retry. */
  retryDelay?: number;
  /** Each further wait is the one before × this (1: constant). */
  retryBackoff?: number;
  /** Cap on any single wait, seconds. */
  retryDelayMax?: number;
  retryOn?: RetryOn;
  ifTrueTasks?: number[];
  ifFalseTasks?: number[];
  agent?: string;
  /** A `hostnames=` block's `condition` that uses host placeholders: checked per host, not once. */
  hostCondition?: ConditionNode;
  /** Placeholders local to this task: a `hostnames=` sub-task's `@HOST@`, `@HOST_VAR_name@`, … */
  placeholders?: ReadonlyMap<string, string>;
  fields: Map<string, FieldValue>;
}

export interface Workflow {
  ast: TaskFileAst;
  /** Globals after environment expansion, by name. */
  globals: Map<string, string>;
  tasks: Map<number, Task>;
  /** Ids sorted ascending. */
  ids: number[];
  /** Ids that only run inside a block (never in sequential flow). */
  subtaskIds: Set<number>;
  /** The inventory `hostnames=@group` was expanded from (--inventory / config `inventory:`). */
  inventory?: Inventory;
}
