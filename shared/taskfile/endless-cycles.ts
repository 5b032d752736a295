/**
 * Endless cycles: jumps and continuations that, while every task succeeds, go round for ever.
 *
 * The graph has one node per top-level task and an edge for every way control can leave a task
 * without a failure: the success route (on_success or the next task), and where a condition
 * decides, the other side of it too (a false `next=COND`, `success=`/`failure=` condition, a
 * decision, an aggregate rule, a skipped `condition=` guard; `next=success` or `next=exit_0` only
 * spell out the default and add nothing). A plain failure (exit status,
 * timeout) is not an edge, so a retry loop (on_failure back to an earlier task) is no cycle here:
 * it leaves on success. A strongly connected set of tasks none of whose edges leads out of it (to
 * another task, or to the end: return, next=never) can only be left by a failure: an error.
 * `next=loop` repeats inside one task and is bounded by `loop=N`, so it adds no edge of its own.
 */
import type { ConditionNode } from './condition.js';
import type { Diagnostic } from './diagnostics.js';
import type { Task, Workflow } from './model.js';
import { nextSequential } from './flow-analysis.js';

/** Control leaves the workflow (return, next=never, a stop on a false condition). */
const END = -1;
/** Tasks of a cycle listed in its message; a longer one is shortened in the middle. */
const MAX_NAMED = 12;

/** Where control can go after `task` without a failure (END for the workflow's end). */
export function nonFailureRoutes(wf: Pick<Workflow, 'subtaskIds'>, task: Task): number[] {
  const seq = nextSequential(wf, task.id);
  const onOk = task.onSuccess ?? seq;
  const out: number[] = [];
  if (task.condition && task.type !== 'conditional') out.push(seq); // a false guard skips the task
  if (task.returnCode !== undefined) return [...out, END];
  const next = task.next;
  if (task.type === 'decision') {
    // A decision is a condition: both sides are deliberate; next=never stops a side without a jump.
    const stop = next?.kind === 'never';
    out.push(task.onSuccess ?? (stop ? END : seq), task.onFailure ?? (stop ? END : seq));
    return out;
  }
  if (next?.kind === 'never' || task.nextAggregate?.kind === 'never') return [...out, END];
  out.push(onOk);
  if (next?.kind === 'loop' || next?.kind === 'always') return out;
  if (decidedByCondition(task)) out.push(task.onFailure ?? END);
  return out;
}

/**
 * Whether a condition the file wrote decides the task's route. The plain status tests
 * (`next=success`, `next=exit_0`, `success=exit_0`, `failure=exit_not_0`) are the default
 * routing spelt out: their false side is a failure.
 */
function decidedByCondition(task: Task): boolean {
  if (task.next?.kind === 'condition') return !isStatusTest(task.next.condition, false);
  if (task.type === 'task') return Boolean((task.success && !isStatusTest(task.success, false)) || (task.failure && !isStatusTest(task.failure, true)));
  const rule = task.successAggregate ?? task.nextAggregate;
  return rule !== undefined && rule.kind !== 'all_success' && rule.kind !== 'always';
}

/** `success`/`exit_0` (or, for a failure condition, `exit_not_0`) alone. */
function isStatusTest(node: ConditionNode, failure: boolean): boolean {
  return failure ? node.kind === 'exitNot0' : node.kind === 'success' || (node.kind === 'exit' && node.code === 0);
}

export function findEndlessCycles(wf: Workflow): Diagnostic[] {
  const top = wf.ids.filter((id) => !wf.subtaskIds.has(id));
  const routes = new Map<number, number[]>();
  let backward = false;
  for (const id of top) {
    const r = nonFailureRoutes(wf, wf.tasks.get(id)!);
    routes.set(id, r);
    backward ||= r.some((t) => t !== END && t <= id);
  }
  const diagnostics: Diagnostic[] = [];
  // Sequence and forward jumps only climb: without a route back there is no cycle (most files).
  if (!backward) return diagnostics;
  for (const scc of stronglyConnected(top, (id) => (routes.get(id) ?? []).filter((t) => routes.has(t)))) {
    if (scc.length < 2) continue; // a jump to the task itself is reported as JUMP_TO_SELF
    const members = new Set(scc);
    if (scc.some((id) => routes.get(id)!.some((t) => !members.has(t)))) continue;
    diagnostics.push(describeCycle(wf, cycleThrough(scc.reduce((a, b) => Math.min(a, b)), members, routes)));
  }
  return diagnostics;
}

function describeCycle(wf: Workflow, cycle: number[]): Diagnostic {
  const start = cycle[0]!;
  const closer = wf.tasks.get(cycle[cycle.length - 1]!)!;
  const key = closer.onSuccess === start ? 'on_success' : closer.onFailure === start ? (closer.fields.has('goto') ? 'goto' : 'on_failure') : undefined;
  const field = key ? closer.fields.get(key) : undefined;
  // A cycle through thousands of tasks is named by its ends, not listed whole.
  const shown = cycle.length <= MAX_NAMED ? [...cycle, start] : [...cycle.slice(0, MAX_NAMED / 2), '…', ...cycle.slice(-MAX_NAMED / 2), start];
  const path = shown.join(' → ') + (cycle.length > MAX_NAMED ? ` (${cycle.length} tasks)` : '');
  return {
    code: 'ENDLESS_CYCLE', severity: 'error',
    message: `endless cycle ${path}: while every task succeeds it never ends; only a failure can leave it`,
    line: field?.line ?? closer.line, col: field?.keyCol ?? 1, length: field ? field.key.length + 1 + field.value.length : `task=${closer.id}`.length,
    hint: 'give it a way out when the work is done: repeat one task with next=loop&CONDITION (or loop=N, loop_break=CONDITION), or end the cycle with next=CONDITION, return=N or next=never',
  };
}

/** The shortest cycle from `start` back to it inside `members` (breadth first), in order. */
function cycleThrough(start: number, members: ReadonlySet<number>, routes: ReadonlyMap<number, number[]>): number[] {
  const parent = new Map<number, number>([[start, start]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const t of routes.get(id)!) {
      if (t === start) {
        const cycle = [id];
        for (let p = id; p !== start; p = parent.get(p)!) cycle.push(parent.get(p)!);
        return cycle.reverse();
      }
      if (members.has(t) && !parent.has(t)) {
        parent.set(t, id);
        queue.push(t);
      }
    }
  }
  return [start];
}

/** Tarjan's strongly connected components, iterative (a file of 10,000 tasks must not overflow the stack). */
function stronglyConnected(nodes: number[], edges: (id: number) => number[]): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { id: number; next: number[]; i: number }[] = [];
    const open = (id: number): void => {
      index.set(id, counter);
      low.set(id, counter++);
      stack.push(id);
      onStack.add(id);
      work.push({ id, next: edges(id), i: 0 });
    };
    open(root);
    while (work.length) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.next.length) {
        const t = frame.next[frame.i++]!;
        if (!index.has(t)) open(t);
        else if (onStack.has(t)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(t)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const scc: number[] = [];
        let id: number;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          scc.push(id);
        } while (id !== frame.id);
        out.push(scc);
      }
    }
  }
  return out;
}
