/**
 * One task's fields, typed and checked on their own (references between tasks are checked by
 * validate.ts once every task is built).
 *
 * A class, so that a file of 10,000 tasks costs one set of caches and no closures per task: V8
 * compiles `build` to fast code after a few tasks, and the block-only checks, which plain tasks
 * never reach, are methods of their own that stay out of its way.
 */
import type { FieldValue, TaskNode } from './ast.js';
import { ConditionChecker } from './check-conditions.js';
import type { ConditionDiagnostic, ConditionNode } from './condition.js';
import type { Diagnostic } from './diagnostics.js';
import { suggest } from './diagnostics.js';
import { checkRetryFields, type RetryCheckHost } from './validate-retry.js';
import { BLOCK_TYPES, SPLIT_DELIMITERS } from './keys.js';
import type { AggregateRule, SplitSpec, Task } from './model.js';
import { findPlaceholders, substitute } from './variables.js';
import type { Inventory } from '../inventory/index.js';
import { isHostPlaceholder } from '../inventory/index.js';
import { selectHosts } from '../inventory/index.js';
import { parseHostAddress } from '../hosts/index.js';

const AGGREGATES = new Set(['all_success', 'any_success', 'majority_success', 'always', 'never']);
const AGGREGATE_N = /^(min_success|max_success|min_failed|max_failed|success_threshold)\s*=\s*(\d+)$/i;
/** Keys that only a parallel or conditional block uses. */
const BLOCK_KEYS = ['tasks', 'hostnames', 'max_parallel', 'if_true_tasks', 'if_false_tasks'];
const SPLIT_KEYS = ['stdout_split', 'stderr_split'] as const;

export function parseAggregate(text: string): AggregateRule | undefined {
  const t = text.trim().toLowerCase();
  if (AGGREGATES.has(t)) return { kind: t as AggregateRule['kind'] };
  const m = AGGREGATE_N.exec(t);
  return m ? { kind: m[1]!.toLowerCase() as AggregateRule['kind'], n: Number(m[2]) } : undefined;
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

export class TaskChecker {
  // Conditions, block rules and exec values repeat across tasks; their parses are read-only, so
  // one (with the list of its problems) serves every copy.
  private readonly conditionChecker = new ConditionChecker();
  private readonly aggregates = new Map<string, AggregateRule | undefined>();
  private readonly execKnown = new Map<string, boolean>();
  private readonly retryHost: RetryCheckHost = {
    report: (field, code, severity, message, hint) => this.at(field, code, severity, message, hint),
    resolveGlobals: (text) => this.resolveGlobals(text),
  };

  constructor(
    private readonly globals: ReadonlyMap<string, string>,
    private readonly execTypes: ReadonlySet<string>,
    private readonly diagnostics: Diagnostic[],
    private readonly inventory?: Inventory,
  ) {}

  /** The typed task; its problems go to the diagnostics list. */
  build(node: TaskNode): Task {
    const f = node.fields;
    const typeField = f.get('type');
    let type: Task['type'] = 'task';
    if (typeField) type = this.blockType(node, typeField);
    const task: Task = {
      id: node.id, line: node.line, type,
      hostname: f.get('hostname')?.value ?? '',
      command: f.get('command')?.value ?? '',
      arguments: f.get('arguments')?.value ?? '',
      exec: f.get('exec')?.value,
      timeout: f.get('timeout')?.value,
      sleep: f.get('sleep')?.value,
      returnCode: f.get('return')?.value,
      agent: f.get('agent')?.value,
      fields: f,
    };

    // Routing and conditions.
    const nextField = f.get('next');
    if (nextField) this.next(task, nextField);
    task.loopBreak = this.condition(node.id, f.get('loop_break'), 'loop_break');
    task.condition = type === 'decision' ? undefined : this.condition(node.id, f.get('condition'), 'condition');
    const successField = f.get('success');
    if (successField) {
      if (type === 'parallel' || type === 'conditional') this.blockSuccess(task, successField);
      else task.success = this.condition(node.id, successField, 'success');
    }
    const failureField = f.get('failure');
    if (failureField) {
      if (type === 'parallel' || type === 'conditional') this.at(failureField, 'FAILURE_ON_BLOCK', 'error', `task ${node.id}: failure= does not apply to a ${type} block`, 'use success= with a block rule');
      else task.failure = this.condition(node.id, failureField, 'failure');
      if (successField) this.at(failureField, 'SUCCESS_AND_FAILURE', 'error', `task ${node.id}: success= and failure= are both set`, 'keep one of them: failure=X means success is not X');
    }

    task.onSuccess = this.int(node.id, f.get('on_success'), 'on_success', 0, 999999);
    const gotoField = f.get('goto');
    const onFailureField = f.get('on_failure');
    if (gotoField && onFailureField) {
      this.at(gotoField, 'GOTO_WITH_ON_FAILURE', 'error', `task ${node.id}: goto and on_failure are both set (line ${onFailureField.line}); they mean the same jump`, 'keep one of them');
    }
    task.onFailure = this.int(node.id, onFailureField ?? gotoField, onFailureField ? 'on_failure' : 'goto', 0, 999999);
    const loopField = f.get('loop');
    if (loopField || task.next?.kind === 'loop') this.loop(task, loopField, nextField, onFailureField ?? gotoField);

    // Return, timeout, sleep, splits, exec type.
    const returnField = f.get('return');
    if (returnField) this.returnValue(node.id, returnField);
    const timeoutField = f.get('timeout');
    if (timeoutField) this.timeout(task, timeoutField);
    const sleepField = f.get('sleep');
    if (sleepField) this.sleep(node.id, sleepField);
    for (const k of SPLIT_KEYS) {
      const field = f.get(k);
      if (field) this.split(task, k, field);
    }
    const execField = f.get('exec');
    if (execField && !this.isKnownExecType(execField.value)) this.unknownExecType(node.id, execField);

    // Per-type required fields.
    if (type === 'task') this.plainTask(task, returnField);
    else if (type === 'parallel') this.parallel(task);
    else if (type === 'conditional') this.conditional(task);
    else this.decision(task, successField, failureField);
    checkRetryFields(task, this.retryHost);
    return task;
  }

  private at(f: FieldValue, code: string, severity: Diagnostic['severity'], message: string, hint?: string, offset = 0, length?: number): void {
    this.diagnostics.push({ code, severity, message, line: f.line, col: f.valueCol + offset, length: length ?? Math.max(1, f.value.length - offset), hint });
  }

  /** A problem with the task as a whole, shown at its `task=` line. */
  private atTask(task: Task, code: string, message: string, hint?: string): void {
    this.diagnostics.push({ code, severity: 'error', message, line: task.line, col: 1, length: `task=${task.id}`.length, ...(hint !== undefined ? { hint } : {}) });
  }

  private resolveGlobals(text: string): string {
    return substitute(text, (n) => this.globals.get(n));
  }

  private blockType(node: TaskNode, typeField: FieldValue): Task['type'] {
    const t = typeField.value.toLowerCase();
    if ((BLOCK_TYPES as readonly string[]).includes(t)) return t as Task['type'];
    const guess = suggest(t, BLOCK_TYPES);
    this.at(typeField, 'UNKNOWN_TASK_TYPE', 'error', `task ${node.id}: type '${typeField.value}' is not parallel, conditional or decision`, guess ? `did you mean '${guess}'?` : 'remove type= for an ordinary task');
    return 'task';
  }

  private next(task: Task, nextField: FieldValue): void {
    task.nextText = nextField.value;
    const aggregate = this.aggregate(nextField.value);
    const v = nextField.value.trim();
    if (/^\d+$/.test(v)) {
      this.at(nextField, 'NUMERIC_NEXT', 'error', `task ${task.id}: next=${v} jumps directly, which is not supported`, `use on_success=${v} (or goto=${v} for the false case)`);
    } else if (task.type !== 'task' && task.type !== 'decision' && aggregate) {
      task.nextAggregate = aggregate;
    } else if (aggregate && aggregate.kind !== 'always' && aggregate.kind !== 'never') {
      this.at(nextField, 'AGGREGATE_ON_TASK', 'error', `task ${task.id}: next=${v} is a block rule; it only applies to type=parallel or type=conditional`);
    } else {
      const checked = this.conditionChecker.checkNext(nextField.value);
      this.reportCondition(task.id, nextField, checked.problems, 'next');
      if (checked.next) task.next = checked.next;
    }
  }

  private condition(id: number, field: FieldValue | undefined, what: string): ConditionNode | undefined {
    if (!field) return undefined;
    const checked = this.conditionChecker.checkCondition(field.value);
    this.reportCondition(id, field, checked.problems, what);
    return checked.ast ?? undefined;
  }

  private reportCondition(id: number, field: FieldValue, problems: ConditionDiagnostic[], what: string): void {
    for (const d of problems) {
      this.diagnostics.push({
        code: d.code, severity: d.severity, message: `task ${id}: ${what}: ${d.message}`,
        line: field.line, col: field.valueCol + d.offset, length: Math.max(1, d.length), hint: d.hint,
      });
    }
  }

  private aggregate(text: string): AggregateRule | undefined {
    if (!this.aggregates.has(text)) this.aggregates.set(text, parseAggregate(text));
    return this.aggregates.get(text);
  }

  private blockSuccess(task: Task, successField: FieldValue): void {
    const agg = parseAggregate(successField.value);
    if (agg) task.successAggregate = agg;
    else this.at(successField, 'INVALID_BLOCK_SUCCESS', 'error', `task ${task.id}: success='${successField.value}' is not a block rule`, 'use all_success, any_success, majority_success, min_success=N, max_success=N, min_failed=N or max_failed=N');
  }

  private int(id: number, field: FieldValue | undefined, what: string, min: number, max: number): number | undefined {
    if (!field) return undefined;
    const v = this.resolveGlobals(field.value).trim();
    if (!/^-?\d+$/.test(v)) {
      this.at(field, 'NOT_AN_INTEGER', 'error', `task ${id}: ${what} must be a whole number, got '${field.value}'`);
      return undefined;
    }
    const n = Number(v);
    if (n < min || n > max) {
      this.at(field, 'OUT_OF_RANGE', 'error', `task ${id}: ${what} must be between ${min} and ${max}, got ${n}`);
      return undefined;
    }
    return n;
  }

  private idList(id: number, field: FieldValue | undefined, what: string): number[] | undefined {
    if (!field) return undefined;
    const parts = field.value.split(',').map((s) => s.trim());
    if (field.value.trim() === '' || parts.some((p) => p === '')) {
      this.at(field, 'EMPTY_TASK_LIST', 'error', `task ${id}: ${what} must be a comma-separated list of task ids`, 'for example tasks=10,11,12');
      return undefined;
    }
    const ids: number[] = [];
    let offset = 0;
    for (const p of parts) {
      const here = field.value.indexOf(p, offset);
      offset = here + p.length;
      if (!/^\d+$/.test(p)) this.at(field, 'INVALID_TASK_ID', 'error', `task ${id}: '${p}' in ${what} is not a task id`, undefined, here, p.length);
      else ids.push(Number(p));
    }
    return ids;
  }

  /** `loop=` and `next=loop` belong together, and a loop does not jump. */
  private loop(task: Task, loopField: FieldValue | undefined, nextField: FieldValue | undefined, jumpField: FieldValue | undefined): void {
    const id = task.id;
    if (loopField) {
      task.loop = this.int(id, loopField, 'loop', 1, 1000);
      if (task.loop !== undefined && task.loop > 100) this.at(loopField, 'LARGE_LOOP', 'warning', `task ${id}: loop=${task.loop} repeats the task more than 100 times`);
      if (task.next?.kind !== 'loop') this.at(loopField, 'LOOP_WITHOUT_NEXT_LOOP', 'error', `task ${id}: loop= has no effect without next=loop`, 'add next=loop (or next=loop&CONDITION)');
    }
    if (task.next?.kind === 'loop' && jumpField) {
      this.at(jumpField, 'JUMP_ON_LOOP', 'error', `task ${id}: ${jumpField.key} has no effect on a next=loop task: a loop always moves on when it ends`, 'use loop_break= or next=loop&CONDITION to end the loop early, and route from the task after it');
    }
    if (task.next?.kind === 'loop' && !loopField && nextField) {
      this.at(nextField, 'NEXT_LOOP_WITHOUT_LOOP', 'error', `task ${id}: next=loop needs loop=N (how many more runs)`, 'add loop=N: the task then runs N+1 times at most');
    }
  }

  private returnValue(id: number, returnField: FieldValue): void {
    const v = this.resolveGlobals(returnField.value).trim();
    if (!/^-?\d+$/.test(v) && findPlaceholders(v).length === 0) this.at(returnField, 'INVALID_RETURN', 'error', `task ${id}: return value '${returnField.value}' is not a whole number`);
    else if (/^-\d+$/.test(v)) this.at(returnField, 'NEGATIVE_RETURN', 'warning', `task ${id}: return=${v} is negative; the shell sees ${((Number(v) % 256) + 256) % 256}`);
  }

  private timeout(task: Task, timeoutField: FieldValue): void {
    const v = this.resolveGlobals(timeoutField.value).trim();
    const { id, type } = task;
    if (type === 'decision' || type === 'conditional') {
      this.at(timeoutField, 'TIMEOUT_ON_BLOCK', 'error', `task ${id}: timeout= does not apply to a ${type} block`, 'set timeout on the sub-tasks');
    } else if (type === 'task' && !task.command) {
      this.at(timeoutField, 'TIMEOUT_WITHOUT_COMMAND', 'error', `task ${id}: timeout= on a task without a command`);
    } else if (!/^-?\d+$/.test(v)) {
      if (findPlaceholders(v).length === 0) this.at(timeoutField, 'NOT_AN_INTEGER', 'error', `task ${id}: timeout must be a whole number of seconds, got '${timeoutField.value}'`);
    } else if (Number(v) < 5 || Number(v) > 1000) {
      const clamped = Math.min(1000, Math.max(5, Number(v)));
      this.at(timeoutField, 'TIMEOUT_CLAMPED', 'warning', `task ${id}: timeout ${v} is outside 5–1000 seconds; using ${clamped}`);
    }
  }

  private sleep(id: number, sleepField: FieldValue): void {
    const v = this.resolveGlobals(sleepField.value).trim();
    if (findPlaceholders(v).length === 0 && !/^-?\d+(\.\d+)?$/.test(v)) this.at(sleepField, 'INVALID_SLEEP', 'error', `task ${id}: sleep must be a number of seconds, got '${sleepField.value}'`);
    else if (v.startsWith('-')) this.at(sleepField, 'NEGATIVE_SLEEP', 'warning', `task ${id}: sleep=${v} is negative; no sleep`);
  }

  private split(task: Task, k: (typeof SPLIT_KEYS)[number], field: FieldValue): void {
    const spec = parseSplit(field.value);
    if (typeof spec === 'string') {
      this.at(field, 'INVALID_SPLIT', 'error', `task ${task.id}: ${k}=${field.value}: ${spec}`, `write ${k}=DELIMITER,INDEX, e.g. ${k}=space,1`);
      return;
    }
    if (k === 'stdout_split') task.stdoutSplit = spec;
    else task.stderrSplit = spec;
    if (!(spec.delimiter.toLowerCase() in SPLIT_DELIMITERS) && spec.delimiter.length > 1) {
      const guess = suggest(spec.delimiter, Object.keys(SPLIT_DELIMITERS));
      if (guess) this.at(field, 'UNKNOWN_DELIMITER', 'warning', `task ${task.id}: '${spec.delimiter}' is not a delimiter name; it is used literally`, `did you mean '${guess}'?`, 0, spec.delimiter.length);
    }
    if (spec.index < 0) this.at(field, 'NEGATIVE_SPLIT_INDEX', 'warning', `task ${task.id}: ${k} index ${spec.index} is negative; output stays unsplit`);
  }

  /** An exec value after global substitution is a configured type, or still holds a placeholder. */
  private isKnownExecType(text: string): boolean {
    let known = this.execKnown.get(text);
    if (known === undefined) {
      const v = this.resolveGlobals(text).trim().toLowerCase();
      this.execKnown.set(text, (known = findPlaceholders(v).length > 0 || this.execTypes.has(v)));
    }
    return known;
  }

  private unknownExecType(id: number, execField: FieldValue): void {
    const guess = suggest(this.resolveGlobals(execField.value).trim().toLowerCase(), this.execTypes);
    this.at(execField, 'UNKNOWN_EXEC_TYPE', 'error', `task ${id}: exec type '${execField.value}' is not configured`, guess ? `did you mean '${guess}'?` : `known types: ${[...this.execTypes].sort().join(', ')}`);
  }

  private plainTask(task: Task, returnField: FieldValue | undefined): void {
    const f = task.fields;
    const id = task.id;
    if (!task.command && !returnField) this.atTask(task, 'MISSING_COMMAND', `task ${id} has no command (and no return)`, 'add command=…, or return=N to end the workflow here');
    const hostnameField = f.get('hostname');
    if (task.command && !hostnameField) this.atTask(task, 'MISSING_HOSTNAME', `task ${id} has a command but no hostname`, 'add hostname=… (hostname=localhost for exec=local)');
    if (hostnameField && task.hostname.trim() === '' && task.command) this.at(hostnameField, 'EMPTY_HOSTNAME', 'error', `task ${id}: hostname is empty`);
    if (task.command && /\s/.test(task.command.trim())) this.at(f.get('command')!, 'COMMAND_HAS_SPACES', 'warning', `task ${id}: command '${task.command}' contains spaces`, 'put the program in command= and the rest in arguments=');
    for (const k of BLOCK_KEYS) {
      const field = f.get(k);
      if (field) this.at(field, 'BLOCK_KEY_ON_TASK', 'warning', `task ${id}: ${k}= only applies to a parallel or conditional block; it is ignored`);
    }
  }

  private parallel(task: Task): void {
    const f = task.fields;
    const id = task.id;
    task.tasks = this.idList(id, f.get('tasks'), 'tasks');
    const hostList = f.get('hostnames');
    if (hostList) {
      // Names, `@group`s of the inventory and `!` exclusions (docs/inventory.md).
      const selection = selectHosts(hostList.value, this.inventory);
      const names = selection.hosts;
      task.hostnames = names;
      for (const p of selection.problems) this.at(hostList, p.code, p.severity, `task ${id}: ${p.message}`, p.hint, p.offset, p.length);
      if (f.get('tasks')) this.at(hostList, 'TASKS_AND_HOSTNAMES', 'error', `task ${id}: a parallel block has either tasks= or hostnames=, not both`);
      if (!task.command) this.at(hostList, 'HOSTNAMES_WITHOUT_COMMAND', 'error', `task ${id}: hostnames= fans one command out; command= is missing`);
      if (selection.usesGroups) {
        const selected = selection.problems.every((p) => p.severity !== 'error');
        if (selected && names.length === 0) this.at(hostList, 'HOSTNAMES_COUNT', 'error', `task ${id}: hostnames= selects no host`, 'check the groups and exclusions');
        if (names.length > 1000) this.at(hostList, 'HOSTNAMES_COUNT', 'error', `task ${id}: hostnames= selects ${names.length} hosts; at most 1000`);
      } else if (names.length < 2 || names.length > 1000) this.at(hostList, 'HOSTNAMES_COUNT', 'error', `task ${id}: hostnames= lists ${names.length} host(s); give 2 to 1000`);
      for (const { name: h, offset } of selection.literals) {
        if (this.inventory?.hosts.has(h)) continue; // the inventory checked its own names
        // [user@]host[:port], as hostname= (shared/hosts/host-address.ts).
        const parsed = parseHostAddress(h);
        if (!parsed.ok) this.at(hostList, 'INVALID_HOSTNAME', 'error', `task ${id}: ${parsed.message}`, undefined, offset, h.length);
      }
      // A condition about the host is checked per host (hosts where it is false are skipped).
      const cond = f.get('condition');
      if (cond && findPlaceholders(cond.value).some((p) => isHostPlaceholder(p.name))) {
        task.hostCondition = task.condition;
        task.condition = undefined;
      }
    } else if (!f.get('tasks')) {
      this.atTask(task, 'PARALLEL_WITHOUT_TASKS', `parallel task ${id} has neither tasks= nor hostnames=`, 'list the sub-tasks: tasks=10,11,12');
    }
    task.maxParallel = this.int(id, f.get('max_parallel'), 'max_parallel', 1, 1000);
  }

  private conditional(task: Task): void {
    const f = task.fields;
    const id = task.id;
    if (!f.get('condition')) this.atTask(task, 'CONDITIONAL_WITHOUT_CONDITION', `conditional task ${id} has no condition=`);
    task.ifTrueTasks = this.idList(id, f.get('if_true_tasks'), 'if_true_tasks');
    task.ifFalseTasks = this.idList(id, f.get('if_false_tasks'), 'if_false_tasks');
    for (const k of ['if_true_tasks', 'if_false_tasks']) {
      if (!f.get(k)) this.atTask(task, 'MISSING_BRANCH', `conditional task ${id} has no ${k}=`, 'give both branches; a branch may be a single no-op task');
    }
  }

  private decision(task: Task, successField: FieldValue | undefined, failureField: FieldValue | undefined): void {
    const f = task.fields;
    if (!successField && !failureField) this.atTask(task, 'DECISION_WITHOUT_RULE', `decision task ${task.id} needs success= or failure=`);
    for (const k of ['command', 'hostname', 'arguments']) {
      const field = f.get(k);
      if (field) this.at(field, 'FIELD_ON_DECISION', 'error', `task ${task.id}: a decision block does not run anything; remove ${k}=`);
    }
  }
}
