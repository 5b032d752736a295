/**
 * Turn a parsed task file into a typed Workflow, checking everything that can be checked before a
 * single command runs. All problems are collected; any error blocks the whole run.
 */
import type { FieldValue, TaskFileAst, TaskNode } from './ast.js';
import { conditionVariables, parseCondition, parseNext } from './condition.js';
import type { ConditionDiagnostic, ConditionNode, NextSpec } from './condition.js';
import type { Diagnostic } from './diagnostics.js';
import { suggest } from './diagnostics.js';
import { BLOCK_TYPES, SPLIT_DELIMITERS } from './keys.js';
import type { AggregateRule, SplitSpec, Task, Workflow } from './model.js';
import { expandEnv, findPlaceholders, substitute, TASK_VAR } from './variables.js';
import { analyseFlow, canRunBefore } from './flow-analysis.js';

export interface ValidateOptions {
  env: NodeJS.ProcessEnv;
  /** Known exec type names, aliases included (lower-case). */
  execTypes: ReadonlySet<string>;
  /** Env references in globals must start with TASKER_ (peer's --strict-env-validation). */
  strictEnv?: boolean;
}

const AGGREGATES = new Set(['all_success', 'any_success', 'majority_success', 'always', 'never']);
const AGGREGATE_N = /^(min_success|max_success|min_failed|max_failed|success_threshold)\s*=\s*(\d+)$/i;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Keys that only a parallel or conditional block uses. */
const BLOCK_KEYS = ['tasks', 'hostnames', 'max_parallel', 'if_true_tasks', 'if_false_tasks', 'retry_count', 'retry_delay', 'retry_failed'];
const ROUTING_KEYS = ['next', 'loop', 'on_success', 'on_failure', 'goto'];
const SPLIT_KEYS = ['stdout_split', 'stderr_split'] as const;

export function parseAggregate(text: string): AggregateRule | undefined {
  const t = text.trim().toLowerCase();
  if (AGGREGATES.has(t)) return { kind: t as AggregateRule['kind'] };
  const m = AGGREGATE_N.exec(t);
  return m ? { kind: m[1]!.toLowerCase() as AggregateRule['kind'], n: Number(m[2]) } : undefined;
}

export function buildWorkflow(ast: TaskFileAst, opts: ValidateOptions): { workflow: Workflow; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (f: FieldValue, code: string, severity: Diagnostic['severity'], message: string, hint?: string, offset = 0, length?: number): void => {
    diagnostics.push({ code, severity, message, line: f.line, col: f.valueCol + offset, length: length ?? Math.max(1, f.value.length - offset), hint });
  };

  // Globals: environment expansion now; chained @X@ references resolve at use time.
  const globals = new Map<string, string>();
  for (const g of ast.globals.values()) {
    const { text, missing } = expandEnv(g.value, opts.env);
    globals.set(g.name, text);
    for (const name of missing) {
      diagnostics.push({
        code: 'UNSET_ENV_VAR', severity: 'warning',
        message: `global '${g.name}' refers to environment variable $${name}, which is not set; it stays literal`,
        line: g.line, col: g.valueCol + Math.max(0, g.value.indexOf(name) - 1), length: name.length + 1,
      });
    }
    if (opts.strictEnv) {
      for (const m of g.value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
        if (!m[1]!.startsWith('TASKER_')) {
          diagnostics.push({
            code: 'ENV_NOT_ALLOWED', severity: 'error',
            message: `global '${g.name}' uses $${m[1]}; with --strict-env-validation only TASKER_* variables are allowed`,
            line: g.line, col: g.valueCol + m.index!, length: m[0].length,
          });
        }
      }
    }
  }
  const resolveGlobals = (text: string): string => substitute(text, (n) => globals.get(n));

  // Conditions repeat across tasks; their ASTs are read-only, so one parse (with the list of its
  // problems) serves every copy. So do block rules.
  const conditionCache = new Map<string, { ast: ConditionNode | null; problems: ConditionDiagnostic[] }>();
  const nextCache = new Map<string, { next: NextSpec | null; problems: ConditionDiagnostic[] }>();
  const aggregateCache = new Map<string, AggregateRule | undefined>();
  const checkCondition = (text: string): { ast: ConditionNode | null; problems: ConditionDiagnostic[] } => {
    let r = conditionCache.get(text);
    if (!r) {
      const parsed = parseCondition(text);
      conditionCache.set(text, (r = { ast: parsed.ast, problems: withConstantComparisons(parsed.diagnostics, parsed.ast) }));
    }
    return r;
  };
  const checkNext = (text: string): { next: NextSpec | null; problems: ConditionDiagnostic[] } => {
    let r = nextCache.get(text);
    if (!r) {
      const parsed = parseNext(text);
      const ast = parsed.next?.kind === 'condition' || parsed.next?.kind === 'loop' ? parsed.next.condition : null;
      nextCache.set(text, (r = { next: parsed.next, problems: withConstantComparisons(parsed.diagnostics, ast) }));
    }
    return r;
  };
  const parseAggregateCached = (text: string): AggregateRule | undefined => {
    if (!aggregateCache.has(text)) aggregateCache.set(text, parseAggregate(text));
    return aggregateCache.get(text);
  };
  // An exec value after global substitution is a configured type, or still holds a placeholder.
  const execCache = new Map<string, boolean>();
  const isKnownExecType = (text: string): boolean => {
    let known = execCache.get(text);
    if (known === undefined) {
      const v = resolveGlobals(text).trim().toLowerCase();
      execCache.set(text, (known = findPlaceholders(v).length > 0 || opts.execTypes.has(v)));
    }
    return known;
  };

  const tasks = new Map<number, Task>();
  // One task's fields, typed and checked. A function rather than a loop body, so that V8
  // optimizes it after a few tasks instead of interpreting most of a large file.
  const buildTask = (node: TaskNode): Task => {
    const f = node.fields;
    const get = (k: string): FieldValue | undefined => f.get(k);
    const typeField = get('type');
    let type: Task['type'] = 'task';
    if (typeField) {
      const t = typeField.value.toLowerCase();
      if ((BLOCK_TYPES as readonly string[]).includes(t)) type = t as Task['type'];
      else {
        const guess = suggest(t, BLOCK_TYPES);
        at(typeField, 'UNKNOWN_TASK_TYPE', 'error', `task ${node.id}: type '${typeField.value}' is not parallel, conditional or decision`, guess ? `did you mean '${guess}'?` : 'remove type= for an ordinary task');
      }
    }
    const task: Task = {
      id: node.id, line: node.line, type,
      hostname: get('hostname')?.value ?? '',
      command: get('command')?.value ?? '',
      arguments: get('arguments')?.value ?? '',
      exec: get('exec')?.value,
      timeout: get('timeout')?.value,
      sleep: get('sleep')?.value,
      returnCode: get('return')?.value,
      agent: get('agent')?.value,
      fields: f,
    };

    const cond = (field: FieldValue | undefined, what: string): ConditionNode | undefined => {
      if (!field) return undefined;
      const checked = checkCondition(field.value);
      reportCondition(field, checked.problems, what);
      return checked.ast ?? undefined;
    };
    const reportCondition = (field: FieldValue, problems: ConditionDiagnostic[], what: string): void => {
      for (const d of problems) {
        diagnostics.push({
          code: d.code, severity: d.severity, message: `task ${node.id}: ${what}: ${d.message}`,
          line: field.line, col: field.valueCol + d.offset, length: Math.max(1, d.length), hint: d.hint,
        });
      }
    };
    const int = (field: FieldValue | undefined, what: string, min: number, max: number): number | undefined => {
      if (!field) return undefined;
      const v = resolveGlobals(field.value).trim();
      if (!/^-?\d+$/.test(v)) {
        at(field, 'NOT_AN_INTEGER', 'error', `task ${node.id}: ${what} must be a whole number, got '${field.value}'`);
        return undefined;
      }
      const n = Number(v);
      if (n < min || n > max) {
        at(field, 'OUT_OF_RANGE', 'error', `task ${node.id}: ${what} must be between ${min} and ${max}, got ${n}`);
        return undefined;
      }
      return n;
    };
    const idList = (field: FieldValue | undefined, what: string): number[] | undefined => {
      if (!field) return undefined;
      const parts = field.value.split(',').map((s) => s.trim());
      if (field.value.trim() === '' || parts.some((p) => p === '')) {
        at(field, 'EMPTY_TASK_LIST', 'error', `task ${node.id}: ${what} must be a comma-separated list of task ids`, 'for example tasks=10,11,12');
        return undefined;
      }
      const ids: number[] = [];
      let offset = 0;
      for (const p of parts) {
        const here = field.value.indexOf(p, offset);
        offset = here + p.length;
        if (!/^\d+$/.test(p)) at(field, 'INVALID_TASK_ID', 'error', `task ${node.id}: '${p}' in ${what} is not a task id`, undefined, here, p.length);
        else ids.push(Number(p));
      }
      return ids;
    };

    // Routing and conditions.
    const nextField = get('next');
    if (nextField) {
      task.nextText = nextField.value;
      const aggregate = parseAggregateCached(nextField.value);
      const v = nextField.value.trim();
      if (/^\d+$/.test(v)) {
        at(nextField, 'NUMERIC_NEXT', 'error', `task ${node.id}: next=${v} jumps directly, which is not supported`, `use on_success=${v} (or goto=${v} for the false case)`);
      } else if (type !== 'task' && type !== 'decision' && aggregate) {
        task.nextAggregate = aggregate;
      } else if (aggregate && !['always', 'never'].includes(aggregate.kind)) {
        at(nextField, 'AGGREGATE_ON_TASK', 'error', `task ${node.id}: next=${v} is a block rule; it only applies to type=parallel or type=conditional`);
      } else {
        const checked = checkNext(nextField.value);
        reportCondition(nextField, checked.problems, 'next');
        if (checked.next) task.next = checked.next;
      }
    }
    task.loopBreak = cond(get('loop_break'), 'loop_break');
    task.condition = type === 'decision' ? undefined : cond(get('condition'), 'condition');
    const successField = get('success');
    if (successField) {
      if (type === 'parallel' || type === 'conditional') {
        const agg = parseAggregate(successField.value);
        if (agg) task.successAggregate = agg;
        else at(successField, 'INVALID_BLOCK_SUCCESS', 'error', `task ${node.id}: success='${successField.value}' is not a block rule`, 'use all_success, any_success, majority_success, min_success=N, max_success=N, min_failed=N or max_failed=N');
      } else task.success = cond(successField, 'success');
    }
    const failureField = get('failure');
    if (failureField) {
      if (type === 'parallel' || type === 'conditional') at(failureField, 'FAILURE_ON_BLOCK', 'error', `task ${node.id}: failure= does not apply to a ${type} block`, 'use success= with a block rule');
      else task.failure = cond(failureField, 'failure');
      if (successField) at(failureField, 'SUCCESS_AND_FAILURE', 'error', `task ${node.id}: success= and failure= are both set`, 'keep one of them: failure=X means success is not X');
    }

    task.onSuccess = int(get('on_success'), 'on_success', 0, 999999);
    const gotoField = get('goto');
    const onFailureField = get('on_failure');
    if (gotoField && onFailureField) {
      at(gotoField, 'GOTO_WITH_ON_FAILURE', 'error', `task ${node.id}: goto and on_failure are both set (line ${onFailureField.line}); they mean the same jump`, 'keep one of them');
    }
    task.onFailure = int(onFailureField ?? gotoField, onFailureField ? 'on_failure' : 'goto', 0, 999999);

    const loopField = get('loop');
    if (loopField) {
      task.loop = int(loopField, 'loop', 1, 1000);
      if (task.loop !== undefined && task.loop > 100) at(loopField, 'LARGE_LOOP', 'warning', `task ${node.id}: loop=${task.loop} repeats the task more than 100 times`);
      if (task.next?.kind !== 'loop') at(loopField, 'LOOP_WITHOUT_NEXT_LOOP', 'error', `task ${node.id}: loop= has no effect without next=loop`, 'add next=loop (or next=loop&CONDITION)');
    }
    if (task.next?.kind === 'loop' && (gotoField || onFailureField)) {
      const f = (onFailureField ?? gotoField)!;
      at(f, 'JUMP_ON_LOOP', 'error', `task ${node.id}: ${f.key} has no effect on a next=loop task: a loop always moves on when it ends`, 'use loop_break= or next=loop&CONDITION to end the loop early, and route from the task after it');
    }
    if (task.next?.kind === 'loop' && !loopField && nextField) {
      at(nextField, 'NEXT_LOOP_WITHOUT_LOOP', 'error', `task ${node.id}: next=loop needs loop=N (how many more runs)`, 'add loop=N: the task then runs N+1 times at most');
    }

    // Return, timeout, sleep, splits.
    const returnField = get('return');
    if (returnField) {
      const v = resolveGlobals(returnField.value).trim();
      if (!/^-?\d+$/.test(v) && findPlaceholders(v).length === 0) at(returnField, 'INVALID_RETURN', 'error', `task ${node.id}: return value '${returnField.value}' is not a whole number`);
      else if (/^-\d+$/.test(v)) at(returnField, 'NEGATIVE_RETURN', 'warning', `task ${node.id}: return=${v} is negative; the shell sees ${((Number(v) % 256) + 256) % 256}`);
    }
    const timeoutField = get('timeout');
    if (timeoutField) {
      const v = resolveGlobals(timeoutField.value).trim();
      if (type === 'decision' || type === 'conditional') {
        at(timeoutField, 'TIMEOUT_ON_BLOCK', 'error', `task ${node.id}: timeout= does not apply to a ${type} block`, 'set timeout on the sub-tasks');
      } else if (type === 'task' && !task.command) {
        at(timeoutField, 'TIMEOUT_WITHOUT_COMMAND', 'error', `task ${node.id}: timeout= on a task without a command`);
      } else if (!/^-?\d+$/.test(v)) {
        if (findPlaceholders(v).length === 0) at(timeoutField, 'NOT_AN_INTEGER', 'error', `task ${node.id}: timeout must be a whole number of seconds, got '${timeoutField.value}'`);
      } else if (Number(v) < 5 || Number(v) > 1000) {
        const clamped = Math.min(1000, Math.max(5, Number(v)));
        at(timeoutField, 'TIMEOUT_CLAMPED', 'warning', `task ${node.id}: timeout ${v} is outside 5–1000 seconds; using ${clamped}`);
      }
    }
    const sleepField = get('sleep');
    if (sleepField) {
      const v = resolveGlobals(sleepField.value).trim();
      if (findPlaceholders(v).length === 0 && !/^-?\d+(\.\d+)?$/.test(v)) at(sleepField, 'INVALID_SLEEP', 'error', `task ${node.id}: sleep must be a number of seconds, got '${sleepField.value}'`);
      else if (v.startsWith('-')) at(sleepField, 'NEGATIVE_SLEEP', 'warning', `task ${node.id}: sleep=${v} is negative; no sleep`);
    }
    for (const k of SPLIT_KEYS) {
      const field = get(k);
      if (!field) continue;
      const spec = parseSplit(field.value);
      if (typeof spec === 'string') at(field, 'INVALID_SPLIT', 'error', `task ${node.id}: ${k}=${field.value}: ${spec}`, `write ${k}=DELIMITER,INDEX, e.g. ${k}=space,1`);
      else {
        if (k === 'stdout_split') task.stdoutSplit = spec;
        else task.stderrSplit = spec;
        if (!(spec.delimiter.toLowerCase() in SPLIT_DELIMITERS) && spec.delimiter.length > 1) {
          const guess = suggest(spec.delimiter, Object.keys(SPLIT_DELIMITERS));
          if (guess) at(field, 'UNKNOWN_DELIMITER', 'warning', `task ${node.id}: '${spec.delimiter}' is not a delimiter name; it is used literally`, `did you mean '${guess}'?`, 0, spec.delimiter.length);
        }
        if (spec.index < 0) at(field, 'NEGATIVE_SPLIT_INDEX', 'warning', `task ${node.id}: ${k} index ${spec.index} is negative; output stays unsplit`);
      }
    }

    // Exec type.
    const execField = get('exec');
    if (execField && !isKnownExecType(execField.value)) {
      const guess = suggest(resolveGlobals(execField.value).trim().toLowerCase(), opts.execTypes);
      at(execField, 'UNKNOWN_EXEC_TYPE', 'error', `task ${node.id}: exec type '${execField.value}' is not configured`, guess ? `did you mean '${guess}'?` : `known types: ${[...opts.execTypes].sort().join(', ')}`);
    }

    // Per-type required fields.
    const has = (k: string): boolean => f.has(k);
    if (type === 'task') {
      if (!task.command && !returnField) {
        diagnostics.push({ code: 'MISSING_COMMAND', severity: 'error', message: `task ${node.id} has no command (and no return)`, line: node.line, col: 1, length: `task=${node.id}`.length, hint: 'add command=…, or return=N to end the workflow here' });
      }
      if (task.command && !has('hostname')) {
        diagnostics.push({ code: 'MISSING_HOSTNAME', severity: 'error', message: `task ${node.id} has a command but no hostname`, line: node.line, col: 1, length: `task=${node.id}`.length, hint: 'add hostname=… (hostname=localhost for exec=local)' });
      }
      if (has('hostname') && task.hostname.trim() === '' && task.command) at(get('hostname')!, 'EMPTY_HOSTNAME', 'error', `task ${node.id}: hostname is empty`);
      if (task.command && /\s/.test(task.command.trim())) at(get('command')!, 'COMMAND_HAS_SPACES', 'warning', `task ${node.id}: command '${task.command}' contains spaces`, 'put the program in command= and the rest in arguments=');
      for (const k of BLOCK_KEYS) {
        if (has(k)) at(get(k)!, 'BLOCK_KEY_ON_TASK', 'warning', `task ${node.id}: ${k}= only applies to a parallel or conditional block; it is ignored`);
      }
    } else if (type === 'parallel') {
      task.tasks = idList(get('tasks'), 'tasks');
      const hostList = get('hostnames');
      if (hostList) {
        const names = hostList.value.split(',').map((s) => s.trim()).filter(Boolean);
        task.hostnames = names;
        if (get('tasks')) at(hostList, 'TASKS_AND_HOSTNAMES', 'error', `task ${node.id}: a parallel block has either tasks= or hostnames=, not both`);
        if (!task.command) at(hostList, 'HOSTNAMES_WITHOUT_COMMAND', 'error', `task ${node.id}: hostnames= fans one command out; command= is missing`);
        if (names.length < 2 || names.length > 1000) at(hostList, 'HOSTNAMES_COUNT', 'error', `task ${node.id}: hostnames= lists ${names.length} host(s); give 2 to 1000`);
        for (const h of names) {
          const bad = IPV4.test(h) ? h.split('.').some((o) => Number(o) > 255) : !HOSTNAME.test(h);
          if (bad) at(hostList, 'INVALID_HOSTNAME', 'error', `task ${node.id}: '${h}' is not a valid host name or IPv4 address`, undefined, hostList.value.indexOf(h), h.length);
        }
      } else if (!get('tasks')) {
        diagnostics.push({ code: 'PARALLEL_WITHOUT_TASKS', severity: 'error', message: `parallel task ${node.id} has neither tasks= nor hostnames=`, line: node.line, col: 1, length: `task=${node.id}`.length, hint: 'list the sub-tasks: tasks=10,11,12' });
      }
      task.maxParallel = int(get('max_parallel'), 'max_parallel', 1, 1000);
    } else if (type === 'conditional') {
      if (!get('condition')) diagnostics.push({ code: 'CONDITIONAL_WITHOUT_CONDITION', severity: 'error', message: `conditional task ${node.id} has no condition=`, line: node.line, col: 1, length: `task=${node.id}`.length });
      task.ifTrueTasks = idList(get('if_true_tasks'), 'if_true_tasks');
      task.ifFalseTasks = idList(get('if_false_tasks'), 'if_false_tasks');
      for (const k of ['if_true_tasks', 'if_false_tasks']) {
        if (!get(k)) diagnostics.push({ code: 'MISSING_BRANCH', severity: 'error', message: `conditional task ${node.id} has no ${k}=`, line: node.line, col: 1, length: `task=${node.id}`.length, hint: 'give both branches; a branch may be a single no-op task' });
      }
    } else if (type === 'decision') {
      if (!successField && !failureField) diagnostics.push({ code: 'DECISION_WITHOUT_RULE', severity: 'error', message: `decision task ${node.id} needs success= or failure=`, line: node.line, col: 1, length: `task=${node.id}`.length });
      for (const k of ['command', 'hostname', 'arguments']) if (has(k)) at(get(k)!, 'FIELD_ON_DECISION', 'error', `task ${node.id}: a decision block does not run anything; remove ${k}=`);
    }
    if (type === 'parallel' || type === 'conditional') {
      const retryField = get('retry_count');
      task.retryCount = int(retryField, 'retry_count', 0, 1000);
      if (task.retryCount === undefined && /^true$/i.test(get('retry_failed')?.value ?? '')) task.retryCount = 1;
      if (/^false$/i.test(get('retry_failed')?.value ?? '')) task.retryCount = 0;
      if (task.retryCount !== undefined && task.retryCount > 100) at(retryField!, 'LARGE_RETRY', 'warning', `task ${node.id}: retry_count=${task.retryCount} is more than 100`);
      task.retryDelay = int(get('retry_delay'), 'retry_delay', 0, 300);
    }
    return task;
  };
  for (const node of ast.tasks.values()) tasks.set(node.id, buildTask(node));

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

  const workflow: Workflow = { ast, globals, tasks, ids, subtaskIds };

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
  const top = ids.filter((id) => !subtaskIds.has(id));
  if (top.length > 0 && !tasks.has(0)) {
    const first = tasks.get(top[0]!)!;
    diagnostics.push({ code: 'NO_TASK_ZERO', severity: 'warning', message: `there is no task 0; the workflow starts at task ${first.id}`, line: first.line, col: 1, length: `task=${first.id}`.length });
  }
  diagnostics.push(...analyseFlow(workflow));
  return { workflow, diagnostics };
}

export function parseSplit(value: string): SplitSpec | string {
  const comma = value.lastIndexOf(',');
  if (comma <= 0) return 'expected DELIMITER,INDEX';
  const delimiter = value.slice(0, comma).trim();
  const index = value.slice(comma + 1).trim();
  if (!/^-?\d+$/.test(index)) return `index '${index}' is not a whole number`;
  if (delimiter === '') return 'the delimiter is empty';
  return { delimiter, index: Number(index) };
}

const VAR_FIELDS = ['hostname', 'command', 'arguments', 'exec', 'timeout', 'sleep', 'return', 'next', 'success', 'failure', 'condition', 'loop_break', 'retry_count', 'retry_delay', 'agent'];

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
    if (!field || !field.value.includes('@')) continue;
    for (const p of findPlaceholders(field.value)) {
      const m = TASK_VAR.exec(p.name);
      const col = field.valueCol + p.offset;
      if (m) {
        const ref = Number(m[1]);
        if (!wf.tasks.has(ref)) {
          diagnostics.push({ code: 'UNDEFINED_TASK_VARIABLE', severity: 'error', message: `task ${task.id}: @${p.name}@ refers to task ${ref}, which is not defined`, line: field.line, col, length: p.name.length + 2 });
        } else if (ref === task.id && !['next', 'success', 'failure', 'loop_break'].includes(key) && !task.loop) {
          diagnostics.push({ code: 'VARIABLE_BEFORE_RUN', severity: 'warning', message: `task ${task.id}: @${p.name}@ is the task's own result, which does not exist before it runs`, line: field.line, col, length: p.name.length + 2 });
        } else if (ref !== task.id && !canRunBefore(wf, ref, task.id)) {
          diagnostics.push({ code: 'VARIABLE_BEFORE_RUN', severity: 'warning', message: `task ${task.id}: @${p.name}@ comes from task ${ref}, which cannot have run before task ${task.id}`, line: field.line, col, length: p.name.length + 2, hint: `no route leads from task ${ref} to task ${task.id}; the placeholder would stay unresolved` });
        }
      } else if (/^\d+_/.test(p.name)) {
        const [num, name] = [p.name.slice(0, p.name.indexOf('_')), p.name.slice(p.name.indexOf('_') + 1)];
        const guess = suggest(name, ['stdout', 'stderr', 'exit', 'success', 'stdout_file', 'stderr_file']);
        diagnostics.push({
          code: 'UNKNOWN_TASK_VARIABLE', severity: 'error',
          message: `task ${task.id}: @${p.name}@ is not a task result variable`,
          line: field.line, col, length: p.name.length + 2,
          hint: guess ? `did you mean @${num}_${guess}@?` : `task results are @${num}_stdout@, @${num}_stderr@, @${num}_exit@, @${num}_success@`,
        });
      } else if (!wf.globals.has(p.name) && !(p.name.toLowerCase() === 'task' && task.hostnames)) {
        const guess = suggest(p.name, wf.globals.keys());
        diagnostics.push({
          code: 'UNDEFINED_VARIABLE', severity: 'error',
          message: `task ${task.id}: @${p.name}@ is not a defined global variable`,
          line: field.line, col, length: p.name.length + 2,
          hint: guess ? `did you mean @${guess}@?` : `define it before the first task: ${p.name}=value`,
        });
      }
    }
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

/** Condition variables, for callers that need them (plan display). */
export function referencedVariables(node: ConditionNode | undefined): string[] {
  return node ? conditionVariables(node) : [];
}
