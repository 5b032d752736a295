/** Which nodes of the graph ran (and how), and which edges the run took: the path taken. */
import type { GraphModel } from './graph-model.js';
import type { RunDetail } from './run-detail.js';

export type NodeState = 'ok' | 'failed' | 'skipped' | 'not-run' | 'end-reached';

export interface Highlight {
  nodes: Map<string, { state: NodeState; runs: number }>;
  /** Indexes into model.edges. */
  taken: Set<number>;
}

export function highlightPath(model: GraphModel, detail: RunDetail): Highlight {
  const nodes = new Map<string, { state: NodeState; runs: number }>();
  for (const n of model.nodes) nodes.set(n.name, { state: 'not-run', runs: 0 });
  const lastOk = new Map<number, boolean>();
  for (const t of detail.tasks) {
    const node = nodes.get(`t${t.id}`);
    if (!node || t.skipped) continue;
    node.runs++;
    const ok = t.success !== false;
    lastOk.set(t.id, ok);
    node.state = ok ? 'ok' : 'failed';
  }
  for (const id of detail.skipped) {
    const node = nodes.get(`t${id}`);
    if (node && node.runs === 0) node.state = 'skipped';
  }
  const taken = new Set<number>();
  const pick = (from: string, wantFalse: boolean, to?: (name: string) => boolean): number => {
    const candidates = model.edges.map((e, i) => ({ e, i })).filter(({ e }) => e.from === from && e.kind !== 'loop' && e.kind !== 'sub' && (!to || to(e.to)));
    const preferred = candidates.find(({ e }) => (e.kind === 'false') === wantFalse) ?? candidates[0];
    return preferred ? preferred.i : -1;
  };
  const path = detail.executionPath;
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i]!;
    const b = path[i + 1]!;
    if (a === b) continue;
    const e = pick(`t${a}`, lastOk.get(a) === false, (to) => to === `t${b}`);
    if (e >= 0) taken.add(e);
  }
  const last = path.at(-1);
  if (last !== undefined && detail.run.status !== 'running') {
    const failed = detail.run.status === 'failed';
    const e = pick(`t${last}`, failed && lastOk.get(last) === false, (to) => !to.startsWith('t') && to.startsWith('fail') === failed);
    if (e >= 0) {
      taken.add(e);
      const end = nodes.get(model.edges[e]!.to);
      if (end) end.state = 'end-reached';
    }
  }
  model.edges.forEach((e, i) => {
    if (e.kind === 'loop' && (nodes.get(e.from)?.runs ?? 0) > 1) taken.add(i);
    if (e.kind === 'sub' && (nodes.get(e.to)?.runs ?? 0) > 0) taken.add(i);
  });
  return { nodes, taken };
}
