/**
 * Turn a parsed task file into a typed Workflow, checking everything that can be checked before a
 * single command runs. All problems are collected; any error blocks the whole run.
 */
import type { FieldValue, TaskFileAst } from './ast.js';
import { conditionVariables } from './condition.js';
import type { ConditionNode } from './condition.js';
import type { Diagnostic } from './diagnostics.js';
import { suggest } from './diagnostics.js';
import type { Task, Workflow } from './model.js';
import { findPlaceholders, TASK_VAR } from './variables.js';
import { checkEnvironment, expandGlobals } from './validate-env.js';
import type { EnvCheckOptions } from './validate-env.js';
import type { Placeholder } from './variables.js';
import { analyseFlow, canRunBefore } from './flow-analysis.js';
import { TaskChecker } from './validate-task.js';
import type { Inventory } from '../inventory/index.js';
import { checkHostPlaceholder } from './host-placeholder-check.js';
import { findEndlessCycles } from './endless-cycles.js';

export { parseAggregate, parseSplit } from './validate-task.js';

export interface ValidateOptions {
  env: NodeJS.ProcessEnv;
  /** Known exec type names, aliases included (lower-case). */
  execTypes: ReadonlySet<string>;
  /** Environment references (globals, arguments) must start with TASKER_ (--strict-env-validation). */
  strictEnv?: boolean;
  /**
   * Whether a task runs through a shell, which expands `$VAR` itself (undefined: cannot tell
   * before the run). The CLI knows the configured exec types and the default; without it, a task
   * runs in a shell when its `exec` names one.
   */
  runsInShell?: EnvCheckOptions['runsInShell'];
  /** Where this run starts (--start-from): flow from there counts as reachable too. */
  startFrom?: number;
  /** The inventory for `hostnames=@group` (--inventory, config `inventory:`). */
  inventory?: Inventory;
}

const SHELL_NAMES = new Set(['shell', 'bash', 'sh', '/bin/bash', '/bin/sh', 'cmd']);

/** The default for ValidateOptions.runsInShell: the task's `exec` names a shell (no exec: the default type, not a shell). */
function runsInShellByName(task: Task, resolveGlobals: (text: string) => string): boolean | undefined {
  if (task.exec === undefined) return false;
  const name = resolveGlobals(task.exec).trim().toLowerCase();
  return name.includes('@') ? undefined : SHELL_NAMES.has(name);
}

const ROUTING_KEYS = ['next', 'loop', 'on_success', 'on_failure', 'goto'];

export function buildWorkflow(ast: TaskFileAst, opts: ValidateOptions): { workflow: Workflow; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (f: FieldValue, code: string, severity: Diagnostic['severity'], message: string, hint?: string, offset = 0, length?: number): void => {
    diagnostics.push({ code, severity, message, line: f.line, col: f.valueCol + offset, length: length ?? Math.max(1, f.value.length - offset), hint });
  };

  // Globals: environment expansion now; chained @X@ references resolve at use time.
  const globals = expandGlobals(ast, opts.env);

  const checker = new TaskChecker(globals, opts.execTypes, diagnostics, opts.inventory);
  const tasks = new Map<number, Task>();
  for (const node of ast.tasks.values()) tasks.set(node.id, checker.build(node));

  const ids = [...tasks.keys()].sort((a, b) => a - b);
  const subtaskIds = new Set<number>();
  // Block membership rules.
  const checkMembers = (task: Task, key: string, list: number[] | undefined): void => {
    if (!list) return;
    const field = task.fields.get(key)!;
    for (const id of list) {
      const off = Math.max(0, field.value.indexOf(String(id)));
      const sub = tasks.get(id);
      if (id === task.id) at(field, 'SELF_REFERENCE', 'error', `task ${task.id}: ${key} lists the block itself`, undefined, off, String(id).length);
      else if (!sub) at(field, 'UNDEFINED_SUBTASK', 'error', `task ${task.id}: ${key} lists task ${id}, which is not defined`, undefined, off, String(id).length);
      else {
        subtaskIds.add(id);
        if (sub.type === 'parallel' || sub.type === 'conditional') at(field, 'NESTED_BLOCK', 'error', `task ${task.id}: sub-task ${id} is itself a ${sub.type} block; blocks do not nest`, undefined, off, String(id).length);
        for (const k of ROUTING_KEYS) {
          const sf = sub.fields.get(k);
          if (sf) at(sf, 'ROUTING_IN_SUBTASK', 'error', `task ${id} is a sub-task of block ${task.id}; ${k}= cannot route inside a block`, 'route on the block instead');
        }
      }
    }
  };
  for (const task of tasks.values()) {
    if (task.hostnames) continue;
    checkMembers(task, 'tasks', task.tasks);
    checkMembers(task, 'if_true_tasks', task.ifTrueTasks);
    checkMembers(task, 'if_false_tasks', task.ifFalseTasks);
  }

  const workflow: Workflow = { ast, globals, tasks, ids, subtaskIds, ...(opts.inventory ? { inventory: opts.inventory } : {}) };

  // Jump targets.
  const checkJump = (task: Task, key: string, target: number | undefined): void => {
    if (target === undefined) return;
    const field = task.fields.get(key)!;
    if (!tasks.has(target)) {
      const near = suggest(String(target), ids.filter((i) => i !== task.id).map(String));
      at(field, 'UNDEFINED_TARGET', 'error', `task ${task.id}: ${key}=${target} jumps to a task that is not defined`, near ? `did you mean ${near}?` : `defined tasks: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}`);
    } else if (target === task.id) {
      at(field, 'JUMP_TO_SELF', 'error', `task ${task.id}: ${key} jumps to the task itself`, 'use next=loop with loop=N to repeat a task');
    }
  };
  for (const task of tasks.values()) {
    checkJump(task, 'on_success', task.onSuccess);
    checkJump(task, task.fields.has('on_failure') ? 'on_failure' : 'goto', task.onFailure);
  }

  checkVariables(workflow, diagnostics);
  checkEnvironment(ast, tasks, globals, { env: opts.env, strictEnv: opts.strictEnv, runsInShell: opts.runsInShell ?? runsInShellByName }, diagnostics);
  const top = ids.filter((id) => !subtaskIds.has(id));
  if (top.length > 0 && !tasks.has(0)) {
    const first = tasks.get(top[0]!)!;
    diagnostics.push({ code: 'NO_TASK_ZERO', severity: 'warning', message: `there is no task 0; the workflow starts at task ${first.id}`, line: first.line, col: 1, length: `task=${first.id}`.length });
  }
  diagnostics.push(...analyseFlow(workflow, opts.startFrom));
  diagnostics.push(...findEndlessCycles(workflow));
  return { workflow, diagnostics };
}

const VAR_FIELDS = ['hostname', 'command', 'arguments', 'exec', 'timeout', 'sleep', 'return', 'next', 'success', 'failure', 'condition', 'loop_break', 'retry_count', 'retry_delay', 'retry_backoff', 'retry_delay_max', 'retry_on', 'retry_failed', 'agent'];

/** Every @X@ must name a global or a task result of a task that exists (and, ideally, ran before). */
function checkVariables(wf: Workflow, diagnostics: Diagnostic[]): void {
  for (const task of wf.tasks.values()) checkTaskVariables(wf, task, diagnostics);
  for (const g of wf.ast.globals.values()) {
    for (const p of findPlaceholders(g.value)) {
      if (!TASK_VAR.test(p.name) && !wf.globals.has(p.name)) {
        diagnostics.push({ code: 'UNDEFINED_VARIABLE', severity: 'error', message: `global '${g.name}': @${p.name}@ is not defined`, line: g.line, col: g.valueCol + p.offset, length: p.name.length + 2 });
      }
    }
  }
}

/** The @X@ placeholders of one task (a function of its own, so V8 optimizes it early). */
function checkTaskVariables(wf: Workflow, task: Task, diagnostics: Diagnostic[]): void {
  for (const key of VAR_FIELDS) {
    const field = task.fields.get(key);
    if (field && field.value.includes('@')) for (const p of findPlaceholders(field.value)) checkPlaceholder(wf, task, key, field, p, diagnostics);
  }
}

/** A task result of a task that exists and can have run before, or a defined global. */
function checkPlaceholder(wf: Workflow, task: Task, key: string, field: FieldValue, p: Placeholder, diagnostics: Diagnostic[]): void {
  if (!TASK_VAR.test(p.name)) {
    if (checkHostPlaceholder(wf, task, key, field, p, diagnostics)) return;
    if (/^\d+_/.test(p.name)) unknownResultVariable(task, field, p, diagnostics);
    else if (!wf.globals.has(p.name) && !(p.name.toLowerCase() === 'task' && task.hostnames)) undefinedVariable(wf, task, field, p, diagnostics);
    return;
  }
  const col = field.valueCol + p.offset;
  const ref = Number(p.name.slice(0, p.name.indexOf('_'))); // the digits before the first _
  if (!wf.tasks.has(ref)) {
    diagnostics.push({ code: 'UNDEFINED_TASK_VARIABLE', severity: 'error', message: `task ${task.id}: @${p.name}@ refers to task ${ref}, which is not defined`, line: field.line, col, length: p.name.length + 2 });
  } else if (ref === task.id && !['next', 'success', 'failure', 'loop_break'].includes(key) && !task.loop) {
    diagnostics.push({ code: 'VARIABLE_BEFORE_RUN', severity: 'warning', message: `task ${task.id}: @${p.name}@ is the task's own result, which does not exist before it runs`, line: field.line, col, length: p.name.length + 2 });
  } else if (ref !== task.id && !canRunBefore(wf, ref, task.id)) {
    diagnostics.push({ code: 'VARIABLE_BEFORE_RUN', severity: 'warning', message: `task ${task.id}: @${p.name}@ comes from task ${ref}, which cannot have run before task ${task.id}`, line: field.line, col, length: p.name.length + 2, hint: `no route leads from task ${ref} to task ${task.id}; the placeholder would stay unresolved` });
  }
}

function unknownResultVariable(task: Task, field: FieldValue, p: Placeholder, diagnostics: Diagnostic[]): void {
  const [num, name] = [p.name.slice(0, p.name.indexOf('_')), p.name.slice(p.name.indexOf('_') + 1)];
  const guess = suggest(name, ['stdout', 'stderr', 'exit', 'success', 'stdout_file', 'stderr_file']);
  diagnostics.push({
    code: 'UNKNOWN_TASK_VARIABLE', severity: 'error',
    message: `task ${task.id}: @${p.name}@ is not a task result variable`,
    line: field.line, col: field.valueCol + p.offset, length: p.name.length + 2,
    hint: guess ? `did you mean @${num}_${guess}@?` : `task results are @${num}_stdout@, @${num}_stderr@, @${num}_exit@, @${num}_success@`,
  });
}

function undefinedVariable(wf: Workflow, task: Task, field: FieldValue, p: Placeholder, diagnostics: Diagnostic[]): void {
  const guess = suggest(p.name, wf.globals.keys());
  diagnostics.push({
    code: 'UNDEFINED_VARIABLE', severity: 'error',
    message: `task ${task.id}: @${p.name}@ is not a defined global variable`,
    line: field.line, col: field.valueCol + p.offset, length: p.name.length + 2,
    hint: guess ? `did you mean @${guess}@?` : `define it before the first task: ${p.name}=value`,
  });
}

/** Condition variables, for callers that need them (plan display). */
export function referencedVariables(node: ConditionNode | undefined): string[] {
  return node ? conditionVariables(node) : [];
}
