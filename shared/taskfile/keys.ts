/** The task-file vocabulary: every key a task may carry, and what kind of value it takes. */

export const TASK_KEYS = [
  'task', 'hostname', 'command', 'arguments', 'exec', 'timeout', 'sleep',
  'next', 'loop', 'loop_break', 'goto', 'on_success', 'on_failure', 'return',
  'success', 'failure', 'condition',
  'stdout_split', 'stderr_split', 'stdout_count', 'stderr_count',
  'type', 'tasks', 'hostnames', 'max_parallel',
  'retry_failed', 'retry_count', 'retry_delay', 'retry_backoff', 'retry_delay_max', 'retry_on',
  'if_true_tasks', 'if_false_tasks',
  'agent',
] as const;

export type TaskKey = (typeof TASK_KEYS)[number];

const KEY_SET: ReadonlySet<string> = new Set(TASK_KEYS);

export function isTaskKey(key: string): key is TaskKey {
  return KEY_SET.has(key);
}

const KEY_NAMES: ReadonlyMap<string, TaskKey> = new Map(TASK_KEYS.map((k) => [k, k]));

/** The vocabulary's own string for a (lower-case) task key, or undefined when it is not one. */
export function taskKeyName(key: string): TaskKey | undefined {
  return KEY_NAMES.get(key);
}

export const BLOCK_TYPES = ['parallel', 'conditional', 'decision'] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];

/** Variable names that hold secrets (kept here for existing importers). */
export { isSecretName } from './secret-names.js';

/** Delimiters of stdout_split/stderr_split. A value not listed is used as a literal separator. */
export const SPLIT_DELIMITERS: Record<string, RegExp | string> = {
  space: /\s+/,
  whitespace: /\s+/,
  tab: /\t/,
  newline: /\r?\n/,
  comma: ',',
  semi: ';',
  semicolon: ';',
  colon: ':',
  pipe: '|',
};
