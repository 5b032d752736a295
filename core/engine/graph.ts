/** The workflow as a graph (mermaid or Graphviz dot), like the seed's tasker_workflow.png. */
import { formatCondition } from '../../shared/taskfile/condition.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import { nextSequential } from '../../shared/taskfile/flow-analysis.js';

interface Edge {
  from: string;
  to: string;
  label: string;
  kind: 'seq' | 'true' | 'false' | 'loop' | 'sub';
}

function taskLabel(t: Task): string {
  const body = t.type !== 'task' ? `${t.type}` : t.command ? `${t.command}${t.arguments ? ` ${t.arguments}` : ''}` : `return ${t.returnCode ?? ''}`;
  const exec = t.exec ? `exec=${t.exec}` : '';
  return [`TASK ${t.id}`, body.length > 40 ? `${body.slice(0, 37)}...` : body, exec].filter(Boolean).join('\n');
}

function edges(wf: Workflow): { edges: Edge[]; ends: Map<string, string> } {
  const out: Edge[] = [];
  const ends = new Map<string, string>();
  const node = (id: number): string => (wf.tasks.has(id) ? `t${id}` : endNode(`end${id}`, 'END (success)'));
  const endNode = (name: string, label: string): string => {
    ends.set(name, label);
    return name;
  };
  for (const t of wf.tasks.values()) {
    const me = `t${t.id}`;
    for (const sub of [...(t.tasks ?? []), ...(t.ifTrueTasks ?? []), ...(t.ifFalseTasks ?? [])]) {
      out.push({ from: me, to: `t${sub}`, label: t.ifTrueTasks?.includes(sub) ? 'if true' : t.ifFalseTasks?.includes(sub) ? 'if false' : 'parallel', kind: 'sub' });
    }
    if (wf.subtaskIds.has(t.id)) continue;
    if (t.returnCode !== undefined) {
      out.push({ from: me, to: endNode(`ret${t.id}`, `RETURN ${t.returnCode}`), label: 'return', kind: 'seq' });
      continue;
    }
    const n = t.next;
    if (n?.kind === 'never') {
      out.push({ from: me, to: endNode(`stop${t.id}`, 'STOP (exit 0)'), label: 'next=never', kind: 'seq' });
      continue;
    }
    if (n?.kind === 'loop') {
      out.push({ from: me, to: me, label: `loop ≤${(t.loop ?? 0) + 1}${n.condition ? ` while ${formatCondition(n.condition)}` : ''}`, kind: 'loop' });
      out.push({ from: me, to: node(t.onSuccess ?? t.id + 1), label: 'loop done', kind: 'seq' });
      continue;
    }
    if (n?.kind === 'always') {
      out.push({ from: me, to: node(t.onSuccess ?? t.id + 1), label: 'always', kind: 'seq' });
      continue;
    }
    const test = n?.kind === 'condition' ? formatCondition(n.condition) : t.success ? formatCondition(t.success) : 'success';
    out.push({ from: me, to: node(t.onSuccess ?? t.id + 1), label: `${test}: TRUE`, kind: 'true' });
    // A false decision without on_failure carries on with the next task; anything else unrouted fails.
    const falseTo = t.onFailure !== undefined ? node(t.onFailure) : t.type === 'decision' ? node(nextSequential(wf, t.id)) : endNode(`fail${t.id}`, 'FAILED (exit 10)');
    out.push({ from: me, to: falseTo, label: t.onFailure !== undefined ? `FALSE (goto ${t.onFailure})` : 'FALSE', kind: 'false' });
    if (t.condition && t.type === 'task') out.push({ from: me, to: node(t.id + 1), label: `skip unless ${formatCondition(t.condition)}`, kind: 'seq' });
  }
  return { edges: out, ends };
}

const mermaidText = (s: string): string => s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>');

export function toMermaid(wf: Workflow): string {
  const { edges: es, ends } = edges(wf);
  const lines = ['flowchart TD'];
  for (const t of wf.tasks.values()) lines.push(`  t${t.id}["${mermaidText(taskLabel(t))}"]`);
  for (const [name, label] of ends) lines.push(`  ${name}(["${mermaidText(label)}"])`);
  for (const e of es) lines.push(`  ${e.from} ${e.kind === 'false' ? '-.->' : '-->'}|"${mermaidText(e.label)}"| ${e.to}`);
  const trueEdges = es.map((e, i) => (e.kind === 'true' ? i : -1)).filter((i) => i >= 0);
  const falseEdges = es.map((e, i) => (e.kind === 'false' ? i : -1)).filter((i) => i >= 0);
  if (trueEdges.length) lines.push(`  linkStyle ${trueEdges.join(',')} stroke:#2e9d4d`);
  if (falseEdges.length) lines.push(`  linkStyle ${falseEdges.join(',')} stroke:#e74c3c`);
  return lines.join('\n') + '\n';
}

const dotText = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function toDot(wf: Workflow): string {
  const { edges: es, ends } = edges(wf);
  const lines = ['digraph tasker {', '  rankdir=TB;', '  node [shape=box, style="rounded,filled", fillcolor="#dbe9f6", fontname="Helvetica"];'];
  for (const t of wf.tasks.values()) lines.push(`  t${t.id} [label="${dotText(taskLabel(t))}"${t.type !== 'task' ? ', fillcolor="#f6e3c2"' : ''}];`);
  for (const [name, label] of ends) lines.push(`  ${name} [label="${dotText(label)}", shape=ellipse, fillcolor="${label.startsWith('FAILED') || /RETURN [1-9]/.test(label) ? '#f5b7b1' : '#c8ecd3'}"];`);
  const color = { seq: 'black', true: '#2e9d4d', false: '#e74c3c', loop: '#e67e22', sub: '#7f8c8d' } as const;
  for (const e of es) lines.push(`  ${e.from} -> ${e.to} [label="${dotText(e.label)}", color="${color[e.kind]}"${e.kind === 'false' || e.kind === 'sub' ? ', style=dashed' : ''}];`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
