/** Static flow checks: where each task can go next, what is unreachable, and gaps flow can fall into. */
import type { Diagnostic } from './diagnostics.js';
import type { Task, Workflow } from './model.js';

/** Where control can go after a task; `id+1` is included when the task can fall through. */
export function successors(task: Task): { targets: number[]; fallsThrough: boolean; onlyWhenSkipped: boolean } {
  const r = routes(task);
  // A task with a condition pre-guard is skipped when the guard is false: flow moves on to id+1.
  const guarded = Boolean(task.condition && task.type === 'task');
  return { targets: r.targets, fallsThrough: guarded || r.fallsThrough, onlyWhenSkipped: guarded && !r.fallsThrough };
}

/** Where control goes after the task has run (its condition guard, if any, aside). */
function routes(task: Task): { targets: number[]; fallsThrough: boolean } {
  if (task.returnCode !== undefined) return { targets: [], fallsThrough: false };
  const next = task.next;
  if (next?.kind === 'never' || task.nextAggregate?.kind === 'never') return { targets: [], fallsThrough: false };
  // A loop leaves to id+1 when its runs are used up or its condition stops it.
  if (next?.kind === 'loop') return { targets: [], fallsThrough: true };
  if (next?.kind === 'always') return { targets: jumps(task.onSuccess, undefined), fallsThrough: task.onSuccess === undefined };
  if (task.type === 'decision') {
    return { targets: jumps(task.onSuccess, task.onFailure), fallsThrough: task.onSuccess === undefined || task.onFailure === undefined };
  }
  // The true/success side jumps or falls through; the false/failure side jumps, or the run stops.
  return { targets: jumps(task.onSuccess, task.onFailure), fallsThrough: task.onSuccess === undefined };
}

/** The jump targets that are set, each once, in order. */
function jumps(a: number | undefined, b: number | undefined): number[] {
  if (a === undefined) return b === undefined ? [] : [b];
  return b === undefined || b === a ? [a] : [a, b];
}

/** Flow diagnostics; `startFrom` (a --start-from run) is an entry point besides the first task. */
export function analyseFlow(wf: Workflow, startFrom?: number): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const topLevel = wf.ids.filter((id) => !wf.subtaskIds.has(id));
  if (topLevel.length === 0) return diagnostics;

  // Reachability from the first task (and from where this run starts).
  const reached = new Set<number>();
  const fellInto = new Map<number, number>(); // missing id -> task that falls into it on its normal path
  const reachedBlocks: Task[] = [];
  const stack = [topLevel[0]!];
  if (startFrom !== undefined && wf.tasks.has(startFrom)) stack.push(startFrom);
  while (stack.length) {
    const id = stack.pop()!;
    if (reached.has(id)) continue;
    const task = wf.tasks.get(id);
    if (!task) continue;
    reached.add(id);
    if (task.tasks || task.ifTrueTasks || task.ifFalseTasks) reachedBlocks.push(task);
    const { targets, fallsThrough, onlyWhenSkipped } = successors(task);
    for (const t of targets) stack.push(t);
    if (fallsThrough) {
      const next = nextSequential(wf, id);
      if (wf.tasks.has(next)) stack.push(next);
      else if (!onlyWhenSkipped && !fellInto.has(next)) fellInto.set(next, id);
    }
  }
  for (const block of reachedBlocks) for (const sub of blockMembers(block)) reached.add(sub);

  // Ids that something jumps to or reads results of on purpose.
  const jumpTargets = new Set<number>();
  for (const t of wf.tasks.values()) {
    if (t.onSuccess !== undefined) jumpTargets.add(t.onSuccess);
    if (t.onFailure !== undefined) jumpTargets.add(t.onFailure);
  }
  let referenced: Set<number> | undefined;
  const maxTop = topLevel[topLevel.length - 1]!;
  for (const [missing, from] of fellInto) {
    if (missing > maxTop) continue; // running off the end finishes the workflow
    const nextDefined = topLevel.find((id) => id > missing)!;
    referenced ??= referencedIds(wf, jumpTargets);
    // Tasks after the gap that are jump targets, read by others, or in the conventional handler range
    // (90-99) or sub-task range (100+) are not a continuation of the flow (as the peer).
    if (referenced.has(nextDefined) || (nextDefined >= 90 && nextDefined <= 99) || nextDefined >= 100) continue;
    const missingIds = Array.from({ length: nextDefined - missing }, (_, i) => missing + i);
    const task = wf.tasks.get(from)!;
    diagnostics.push({
      code: 'SEQUENCE_GAP', severity: 'error',
      message: `Task sequence has a gap: task ${from} continues to task ${missing}, which does not exist. Missing task(s): [${missingIds.join(', ')}]`,
      line: task.line, col: 1, length: `task=${from}`.length,
      hint: `number the tasks without gaps, or end task ${from} with next=never / return=N, or route it with on_success=${nextDefined}`,
    });
  }
  for (const id of topLevel) {
    if (reached.has(id) || jumpTargets.has(id)) continue;
    const task = wf.tasks.get(id)!;
    diagnostics.push({
      code: 'UNREACHABLE_TASK', severity: 'warning',
      message: `task ${id} can never run: no task continues to it or jumps to it`,
      line: task.line, col: 1, length: `task=${id}`.length,
    });
  }
  return diagnostics;
}

/** The jump targets plus every task whose results some field reads (`@N_…@`). */
function referencedIds(wf: Workflow, jumpTargets: ReadonlySet<number>): Set<number> {
  const referenced = new Set(jumpTargets);
  const resultRef = /@(\d+)_[a-z_]+@/gi;
  for (const t of wf.tasks.values()) {
    for (const f of t.fields.values()) {
      if (f.value.includes('@')) for (const m of f.value.matchAll(resultRef)) referenced.add(Number(m[1]));
    }
  }
  return referenced;
}

/** The top-level task a task runs as: its block for a sub-task, else itself. */
function topLevelOf(wf: Workflow, id: number): number {
  if (!wf.subtaskIds.has(id)) return id;
  for (const t of wf.tasks.values()) if (blockMembers(t).includes(id)) return t.id;
  return id;
}

/**
 * Whether task `from` can have run before task `to` (following every route the flow can take). A
 * search bounded to `limit` tasks answers true when the bound is hit, so a huge file never stalls.
 */
export function canRunBefore(wf: Workflow, from: number, to: number, limit = 5000): boolean {
  const start = topLevelOf(wf, from);
  const goal = topLevelOf(wf, to);
  if (start === goal) return wf.subtaskIds.has(from) && wf.subtaskIds.has(to);
  // Most reads are of a task that leads straight to the reader: settle those without a search.
  const first = wf.tasks.get(start);
  if (first) {
    const { targets, fallsThrough } = successors(first);
    if (targets.includes(goal) || (fallsThrough && nextSequential(wf, start) === goal)) return true;
  }
  const seen = new Set<number>();
  const queue = [start];
  /** Queue `n`; true when it is the goal or the search hit its bound. */
  const reach = (n: number): boolean => {
    if (n === goal) return true;
    if (seen.has(n)) return false;
    seen.add(n);
    if (seen.size > limit) return true;
    queue.push(n);
    return false;
  };
  while (queue.length) {
    const id = queue.pop()!;
    const task = wf.tasks.get(id);
    if (!task) continue;
    const { targets, fallsThrough } = successors(task);
    for (const n of targets) if (reach(n)) return true;
    if (fallsThrough && reach(nextSequential(wf, id))) return true;
  }
  return false;
}

/** The task sequential flow continues with after `id`: id+1, stepping over ids that only run inside a block. */
export function nextSequential(wf: Pick<Workflow, 'subtaskIds'>, id: number): number {
  let next = id + 1;
  while (wf.subtaskIds.has(next)) next++;
  return next;
}

function blockMembers(task: Task): number[] {
  if (!task.tasks && !task.ifTrueTasks && !task.ifFalseTasks) return [];
  return [...(task.tasks ?? []), ...(task.ifTrueTasks ?? []), ...(task.ifFalseTasks ?? [])];
}
