/** The dry-run plan and the workflow graph: what would run, in flow order, and where each task routes. */
import { formatCondition } from '../../shared/taskfile/condition.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import { nextSequential, successors } from '../../shared/taskfile/flow-analysis.js';
import { substitute } from '../../shared/taskfile/variables.js';
import { fanOutSubTasks } from './host-fan-out.js';
import { describeRetryPolicy, retryPolicyOf } from '../../shared/taskfile/retry-policy.js';
import { resolveArguments } from './variables.js';

export interface PlanStep {
  task: Task;
  execType?: string;
  commandLine: string;
  routing: string[];
  /** A `hostnames=` block's command per host, as the run's "Executing" lines show it. */
  hosts?: { key: string; host: string; execType?: string; commandLine: string; skippedIf?: string }[];
}

export interface PlanOptions {
  defaultExecType: string;
  canonicalExecType: (name: string) => string | undefined;
  describeCommand: (execType: string, hostname: string, command: string, args: string) => string;
  startFrom?: number;
  /** The host text an executor gets for a hostname (inventory ansible_host/port/user). */
  hostTarget?: (hostname: string, execType: string) => string;
  /** Environment for `$VAR` in arguments, as the run expands them. */
  env: NodeJS.ProcessEnv;
}

/** Reachable top-level tasks in flow order: fall-through first, then jumps, each once. */
export function flowOrder(wf: Workflow, start?: number): number[] {
  const top = wf.ids.filter((id) => !wf.subtaskIds.has(id));
  const first = start ?? (wf.tasks.has(0) ? 0 : top[0]);
  const order: number[] = [];
  const seen = new Set<number>();
  // Depth first: the top of the stack (its end) is visited next, so push the fall-through last.
  const stack: number[] = first === undefined ? [] : [first];
  while (stack.length) {
    const cur = stack.pop()!;
    const task = wf.tasks.get(cur);
    if (seen.has(cur) || !task) continue;
    seen.add(cur);
    order.push(cur);
    const { targets, fallsThrough } = successors(task);
    for (let i = targets.length - 1; i >= 0; i--) if (!seen.has(targets[i]!)) stack.push(targets[i]!);
    if (fallsThrough && !seen.has(cur + 1)) stack.push(cur + 1);
  }
  return order;
}

export function buildPlan(wf: Workflow, opts: PlanOptions): PlanStep[] {
  const target = (id: number): string => (wf.tasks.has(id) ? `task ${id}` : 'end (success)');
  const g = (t: string): string => substitute(t, (n) => wf.globals.get(n));
  return flowOrder(wf, opts.startFrom).map((id) => {
    const task = wf.tasks.get(id)!;
    const execName = task.exec !== undefined ? g(task.exec).trim() : opts.defaultExecType;
    const execType = opts.canonicalExecType(execName.toLowerCase());
    const commandLine = task.type !== 'task'
      ? `${task.type} block`
      : task.command
        ? describeTask(task, g, opts) ?? `${g(task.command)} ${g(task.arguments)}`.trim()
        : '(no command)';
    const step: PlanStep = { task, execType: task.type === 'task' && task.command ? execType ?? execName : undefined, commandLine, routing: describeRouting(task, target(nextSequential(wf, id))) };
    if (task.hostnames) {
      step.hosts = fanOutSubTasks(task, wf.inventory).map(({ sub, key }) => {
        const own = (t: string): string => substitute(t, (n) => sub.placeholders?.get(n) ?? wf.globals.get(n));
        const line = describeTask(sub, own, opts);
        return { key, host: sub.hostname, execType: execType ?? execName, commandLine: line ?? `${own(sub.command)} ${own(sub.arguments)}`.trim(), ...(sub.condition ? { skippedIf: own(formatCondition(sub.condition)) } : {}) };
      });
    }
    return step;
  });
}

/** A task's command line as the run shows it, with `resolve` for its placeholders; undefined for an unknown exec type. */
function describeTask(task: Task, resolve: (t: string) => string, opts: PlanOptions): string | undefined {
  const execName = task.exec !== undefined ? resolve(task.exec).trim() : opts.defaultExecType;
  const execType = opts.canonicalExecType(execName.toLowerCase());
  if (!execType) return undefined;
  const hostname = resolve(task.hostname);
  const target = opts.hostTarget ? opts.hostTarget(hostname, execType) : hostname;
  return opts.describeCommand(execType, target, resolve(task.command), resolveArguments(task.arguments, execType, opts.env, resolve));
}

export function describeRouting(task: Task, nextLabel = `task ${task.id + 1}`): string[] {
  const out: string[] = [];
  const to = (id: number | undefined, fallback: string): string => (id === undefined ? fallback : `task ${id}`);
  if (task.condition && task.type !== 'conditional') out.push(`runs only if ${formatCondition(task.condition)} (else skipped, ${nextLabel})`);
  if (task.type === 'parallel') out.push(`runs ${task.hostnames ? `command on ${task.hostnames.length} hosts` : `sub-tasks ${task.tasks?.join(', ')}`} in parallel${task.maxParallel ? `, at most ${task.maxParallel} at once` : ''}`);
  if (task.type === 'conditional' && task.condition) out.push(`if ${formatCondition(task.condition)}: tasks ${task.ifTrueTasks?.join(', ')}; else tasks ${task.ifFalseTasks?.join(', ')}`);
  const retry = retryPolicyOf(task);
  if (retry) out.push(task.type === 'task' ? `${describeRetryPolicy(retry)}; each attempt shown as Task ${task.id}${task.next?.kind === 'loop' ? '.I' : ''} attempt K/${retry.retries + 1}` : `each sub-task ${describeRetryPolicy(retry)}, unless it has retry keys of its own`);
  if (task.sleep) out.push(task.next?.kind === 'loop' ? `sleeps ${task.sleep} s between runs (none once the loop's condition ends it)` : `then sleeps ${task.sleep} s`);
  if (task.returnCode !== undefined) {
    out.push(task.command ? `then returns ${task.returnCode}` : `returns ${task.returnCode}`);
    return out;
  }
  const n = task.next;
  if (n?.kind === 'never') out.push('next=never: the workflow stops (exit 0)');
  else if (n?.kind === 'always') out.push(`next=always → ${to(task.onSuccess, nextLabel)}`);
  else if (n?.kind === 'loop') out.push(`loop: up to ${(task.loop ?? 0) + 1} runs${n.condition ? ` while ${formatCondition(n.condition)}` : ''}${task.loopBreak ? `, until ${formatCondition(task.loopBreak)}` : ''}, then ${to(task.onSuccess, nextLabel)}`);
  else {
    const what = n?.kind === 'condition' ? `next ${formatCondition(n.condition)}` : task.success ? `success ${formatCondition(task.success)}` : task.failure ? `failure ${formatCondition(task.failure)}` : task.successAggregate ? `success ${task.successAggregate.kind}${task.successAggregate.n !== undefined ? `=${task.successAggregate.n}` : ''}` : task.type === 'task' ? 'exit_0' : 'all_success';
    out.push(`${what}: true → ${to(task.onSuccess, nextLabel)}; false → ${to(task.onFailure, task.type === 'decision' ? nextLabel : 'stop (exit 10)')}`);
  }
  return out;
}

export function formatPlan(wf: Workflow, steps: PlanStep[], fileName: string): string {
  const lines = [`Plan for ${fileName}: ${steps.length} of ${wf.tasks.size} tasks reachable (dry run: nothing is executed; use -r to run)`];
  for (const s of steps) {
    lines.push(`  Task ${s.task.id}: ${s.execType ? `[${s.execType}] ` : ''}${s.commandLine}`);
    for (const r of s.routing) lines.push(`      ${r}`);
    for (const h of s.hosts ?? []) lines.push(`      Task ${h.key} [${h.host}]: ${h.execType ? `[${h.execType}] ` : ''}${h.commandLine}${h.skippedIf ? ` (only if ${h.skippedIf})` : ''}`);
  }
  return lines.join('\n') + '\n';
}
