/**
 * The workflow graph the console draws: the same nodes and edges as `tasker --graph` (built by
 * core/engine/graph.ts), read back from its Graphviz form, so the console and --graph can
 * never disagree on the flow.
 */
import { toDot } from '../../core/engine/graph.js';
import type { Workflow } from '../../shared/taskfile/model.js';

export type EdgeKind = 'seq' | 'true' | 'false' | 'loop' | 'sub';

export interface GraphNode {
  name: string;
  label: string;
  /** The task id (task nodes), undefined for end nodes. */
  taskId?: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  kind: EdgeKind;
}

export interface GraphModel {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const KIND_OF_COLOR: Record<string, EdgeKind> = { black: 'seq', '#2e9d4d': 'true', '#e74c3c': 'false', '#e67e22': 'loop', '#7f8c8d': 'sub' };
const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const NODE = new RegExp(`^  (\\w+) \\[label=${QUOTED}`);
const EDGE = new RegExp(`^  (\\w+) -> (\\w+) \\[label=${QUOTED}, color="([^"]+)"`);

const unquote = (s: string): string => s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

export function buildGraphModel(workflow: Workflow): GraphModel {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const line of toDot(workflow).split('\n')) {
    const e = EDGE.exec(line);
    if (e) {
      edges.push({ from: e[1]!, to: e[2]!, label: unquote(e[3]!), kind: KIND_OF_COLOR[e[4]!] ?? 'seq' });
      continue;
    }
    const n = NODE.exec(line);
    if (n && n[1] !== 'node') {
      const id = /^t(\d+)$/.exec(n[1]!);
      nodes.push({ name: n[1]!, label: unquote(n[2]!), taskId: id ? Number(id[1]) : undefined });
    }
  }
  return { nodes, edges };
}
