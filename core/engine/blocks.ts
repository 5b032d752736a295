/**
 * parallel, conditional and decision blocks (the peer's semantics, SPEC §2). Sub-tasks run through
 * the engine's own runTask, so each keeps its timeout, process group, split and success rules.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AggregateRule, Task } from '../../shared/taskfile/model.js';
import { TaskExit } from '../../shared/exit-codes.js';
import { subTaskRetryPolicy } from '../../shared/taskfile/retry-policy.js';
import type { BlockContext, BlockOutcome } from './engine-types.js';
import type { TaskResult } from './types.js';
import { fanOutSubTasks } from './host-fan-out.js';
import { explainRule } from './block-rules.js';
import { fanOutAbortController } from '../../shared/when-aborted.js';

const DEFAULT_MAX_PARALLEL = 8;

interface SubOutcome {
  id: number;
  result: TaskResult;
}

export async function runBlock(task: Task, ctx: BlockContext): Promise<BlockOutcome> {
  if (task.type === 'decision') return runDecision(task, ctx);
  if (task.type === 'conditional') return runConditional(task, ctx);
  return runParallel(task, ctx);
}

function runDecision(task: Task, ctx: BlockContext): BlockOutcome {
  const key = String(task.id);
  const passed = task.success ? ctx.evaluate(task.success, undefined, undefined, { kind: 'decision', key })
    : task.failure ? !ctx.evaluate(task.failure, undefined, undefined, { kind: 'decision', key, label: 'decision (failure)' }) : false;
  ctx.log.info(`Task ${task.id}: DECISION - ${passed ? 'TRUE' : 'FALSE'}`);
  const result = aggregateResult(task, passed ? TaskExit.SUCCESS : TaskExit.BLOCK_FAILED, `Decision: ${passed ? 'TRUE' : 'FALSE'}`, '');
  result.success = passed;
  return { result, passed, stop: task.next?.kind === 'never' && (passed ? task.onSuccess === undefined : task.onFailure === undefined) };
}

async function runConditional(task: Task, ctx: BlockContext): Promise<BlockOutcome> {
  const branch = (b: boolean): number[] => (b ? task.ifTrueTasks : task.ifFalseTasks) ?? [];
  const route = (b: boolean): string => `${b ? 'true' : 'false'} branch: ${branch(b).length ? `tasks ${branch(b).join(', ')}` : 'no tasks'}`;
  const branchTrue = task.condition ? ctx.evaluate(task.condition, undefined, undefined, { kind: 'conditional', key: String(task.id), route }) : false;
  const ids = branch(branchTrue);
  ctx.log.info(`Task ${task.id}: Condition evaluated to ${branchTrue ? 'TRUE' : 'FALSE'}, running tasks ${ids.join(', ') || '(none)'}`);
  const subs: SubOutcome[] = [];
  for (const id of ids) {
    if (ctx.signal?.aborted) break;
    const sub = ctx.workflow.tasks.get(id);
    if (!sub) continue;
    subs.push({ id, result: await runSubTask(task, sub, `${task.id}-${id}`, ctx, ctx.signal) });
  }
  const ok = subs.filter((s) => s.result.success).length;
  const summary = `Conditional ${branchTrue ? 'TRUE' : 'FALSE'} branch: ${ok}/${subs.length} successful`;
  return decide(task, subs, summary, ctx, true);
}

async function runParallel(task: Task, ctx: BlockContext): Promise<BlockOutcome> {
  const subs = expandParallel(task, ctx);
  const limit = Math.max(1, Math.min(task.maxParallel ?? DEFAULT_MAX_PARALLEL, subs.length || 1));
  // The block's own timeout is a master timeout: when it expires every running sub-task's group is killed.
  const master = fanOutAbortController();
  const onAbort = (): void => master.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const masterSec = task.timeout !== undefined ? Number(ctx.store.resolve(task.timeout)) : undefined;
  const timer = masterSec && Number.isFinite(masterSec) && masterSec > 0
    ? setTimeout(() => {
      ctx.log.error(`Task ${task.id}: master timeout of ${masterSec} s expired; killing every running sub-task`);
      master.abort('MASTER_TIMEOUT');
    }, masterSec * 1000)
    : undefined;
  ctx.log.info(`Task ${task.id}: Starting parallel execution of ${subs.length} sub-task(s), at most ${limit} at once`);
  const outcomes: SubOutcome[] = new Array(subs.length);
  let nextIndex = 0;
  const worker = async (): Promise<void> => {
    while (nextIndex < subs.length && !master.signal.aborted) {
      const i = nextIndex++;
      const { sub, key } = subs[i]!;
      outcomes[i] = { id: sub.id, result: await runSubTask(task, sub, key, ctx, master.signal) };
    }
  };
  try {
    await Promise.all(Array.from({ length: limit }, worker));
  } finally {
    if (timer) clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onAbort);
  }
  const done = outcomes.filter(Boolean);
  if (master.signal.reason === 'MASTER_TIMEOUT') {
    for (let i = 0; i < subs.length; i++) {
      if (outcomes[i]) continue;
      const { sub, key } = subs[i]!;
      const r = notRun(sub, key, 'not started: the block master timeout expired');
      ctx.outcome.results.set(key, r);
      done.push({ id: sub.id, result: r });
    }
  }
  // Hosts a per-host condition skipped count neither way, like Ansible's skipped hosts.
  const counted = task.hostCondition ? done.filter((s) => !s.result.skipped) : done;
  const ok = counted.filter((s) => s.result.success).length;
  const timeouts = counted.filter((s) => s.result.timedOut).length;
  const failed = counted.length - ok - timeouts;
  let summary = `Parallel execution: ${ok}/${counted.length} successful`;
  if (timeouts) summary += `, ${timeouts} timeout`;
  if (failed) summary += `, ${failed} failed`;
  if (counted.length < done.length) summary += `, ${done.length - counted.length} host(s) skipped by the condition`;
  if (task.hostnames && ok < counted.length) logHostsNotOk(task, counted, subs, ctx);
  return decide(task, counted, summary, ctx, false);
}

/** Sub-tasks of a parallel block: the listed ids, or one generated per `hostnames=` entry. */
function expandParallel(task: Task, ctx: BlockContext): { sub: Task; key: string }[] {
  if (task.hostnames) return fanOutSubTasks(task, ctx.workflow.inventory);
  return (task.tasks ?? []).map((id) => ({ sub: ctx.workflow.tasks.get(id)!, key: `${task.id}-${id}` })).filter((s) => s.sub);
}

/** One sub-task with its condition pre-check, retries and sleep. */
async function runSubTask(block: Task, sub: Task, key: string, ctx: BlockContext, signal: AbortSignal | undefined): Promise<TaskResult> {
  if (sub.condition && !ctx.evaluate(sub.condition, undefined, sub, { kind: 'condition', key, route: (ok) => (ok ? 'run the sub-task' : 'skip the sub-task') })) {
    ctx.log.info(`Task ${key}: Condition is FALSE, skipping task`);
    const r = notRun(sub, key, 'Task skipped due to condition');
    r.skipped = true;
    ctx.outcome.results.set(key, r);
    ctx.store.byId.set(sub.id, r);
    return r;
  }
  if (sub.returnCode !== undefined && !sub.command) {
    const code = Number(ctx.store.resolve(sub.returnCode));
    const r = notRun(sub, key, `Return task: ${code}`);
    r.exitCode = code;
    r.success = code === 0;
    ctx.outcome.results.set(key, r);
    ctx.store.byId.set(sub.id, r);
    return r;
  }
  const result = await ctx.runTask(sub, key, { signal, retry: subTaskRetryPolicy(sub, block) });
  if (sub.sleep !== undefined) {
    const secs = Number(ctx.store.resolve(sub.sleep));
    if (Number.isFinite(secs) && secs > 0) {
      try {
        await delay(secs * 1000, undefined, { signal });
      } catch {
        /* block stopped */
      }
    }
  }
  return result;
}

/** A fan-out names its hosts: which ones failed or timed out (the sub-task ids say less to an operator). */
function logHostsNotOk(task: Task, done: SubOutcome[], subs: { sub: Task }[], ctx: BlockContext): void {
  const hostOf = new Map(subs.map((s) => [s.sub.id, s.sub.hostname]));
  const hosts = (pick: (r: TaskResult) => boolean): string => done.filter((s) => pick(s.result)).map((s) => hostOf.get(s.id)).join(', ');
  const failed = hosts((r) => !r.success && !r.timedOut);
  const timedOut = hosts((r) => r.timedOut);
  ctx.log.info(`Task ${task.id}: ${[failed && `failed on ${failed}`, timedOut && `timed out on ${timedOut}`].filter(Boolean).join('; ')}`);
}

function decide(task: Task, subs: SubOutcome[], summary: string, ctx: BlockContext, conditional: boolean): BlockOutcome {
  const ok = subs.filter((s) => s.result.success).length;
  const failedIds = subs.filter((s) => !s.result.success && !s.result.timedOut).map((s) => s.id);
  const timeoutIds = subs.filter((s) => s.result.timedOut).map((s) => s.id);
  const result = aggregateResult(task, ok === subs.length ? TaskExit.SUCCESS : TaskExit.BLOCK_FAILED, summary, `Failed tasks: [${failedIds.join(', ')}]. Timeout tasks: [${timeoutIds.join(', ')}]`);
  let passed: boolean;
  let stop = false;
  // The sub-tasks' own decisions come first, then the block's.
  ctx.decisions?.flush();
  const key = String(task.id);
  if (task.successAggregate) passed = recordRule(ctx, key, 'block', task.successAggregate, subs);
  else if (task.nextAggregate) {
    passed = recordRule(ctx, key, 'next', task.nextAggregate, subs);
    stop = task.nextAggregate.kind === 'never';
  } else if (task.next?.kind === 'never') {
    passed = true;
    stop = true;
  } else if (task.next?.kind === 'always') passed = true;
  else if (task.next?.kind === 'condition') passed = ctx.evaluate(task.next.condition, result, undefined, { kind: 'next', key });
  else if (conditional) passed = true;
  else passed = recordRule(ctx, key, 'block', { kind: 'all_success' }, subs, 'block (default)');
  result.success = passed;
  ctx.log.info(`Task ${task.id}: ${summary} → ${passed ? 'TRUE' : 'FALSE'}`);
  return { result, passed, stop };
}

/** A block's aggregate rule, applied and recorded as a decision (block-rules.ts explains it). */
function recordRule(ctx: BlockContext, key: string, kind: 'block' | 'next', rule: AggregateRule, subs: SubOutcome[], label?: string): boolean {
  const passed = applyRule(rule, subs);
  ctx.decisions?.record(key, kind, { result: passed, terms: [explainRule(rule, subs, passed)] }, undefined, label);
  return passed;
}

export function applyRule(rule: AggregateRule, subs: SubOutcome[]): boolean {
  const total = subs.length;
  const ok = subs.filter((s) => s.result.success).length;
  const notOk = total - ok;
  const n = rule.n ?? 0;
  switch (rule.kind) {
    case 'all_success': return ok === total;
    case 'any_success': return ok > 0;
    case 'majority_success': return ok > total / 2;
    case 'min_success': return ok >= n;
    case 'max_success': return ok <= n;
    case 'min_failed': return notOk >= n;
    case 'max_failed': return notOk <= n;
    case 'success_threshold': return total > 0 && (ok * 100) / total >= n;
    case 'always': return true;
    case 'never': return false;
  }
}

function aggregateResult(task: Task, exitCode: number, stdout: string, stderr: string): TaskResult {
  return { key: String(task.id), exitCode, stdout, stderr, success: exitCode === 0, timedOut: false, skipped: false, durationMs: 0, hostname: '', command: `${task.type} block` };
}

function notRun(sub: Task, key: string, why: string): TaskResult {
  return { key, exitCode: TaskExit.NOT_RUN, stdout: '', stderr: why, success: false, timedOut: false, skipped: false, durationMs: 0, hostname: sub.hostname, command: '' };
}
