/** Draws the graph model as SVG: top-level tasks in a column, block sub-tasks and ends beside them. */
import { escapeHtml, raw, type Markup } from './html.js';
import type { GraphModel } from './graph-model.js';
import type { Highlight } from './graph-highlight.js';

const W = 230;
const H = 56;
const ROW = 92;
const COL = 340;
const LEFT = 190;
const TOP = 20;

interface Box { x: number; y: number }

function place(model: GraphModel): Map<string, Box> {
  const subs = new Map<string, string[]>();
  for (const e of model.edges) if (e.kind === 'sub') subs.set(e.from, [...(subs.get(e.from) ?? []), e.to]);
  const subNames = new Set([...subs.values()].flat());
  const boxes = new Map<string, Box>();
  const endCol = subs.size > 0 ? 2 : 1;
  let row = 0;
  for (const n of model.nodes) {
    if (n.taskId === undefined || subNames.has(n.name)) continue;
    boxes.set(n.name, { x: LEFT, y: TOP + row * ROW });
    const members = subs.get(n.name) ?? [];
    members.forEach((m, i) => boxes.set(m, { x: LEFT + COL, y: TOP + (row + i) * ROW }));
    row += Math.max(1, members.length);
  }
  const used = new Map<number, number>();
  for (const n of model.nodes) {
    if (boxes.has(n.name)) continue;
    const from = model.edges.find((e) => e.to === n.name && boxes.has(e.from));
    const y = from ? boxes.get(from.from)!.y : TOP + row++ * ROW;
    const k = used.get(y) ?? 0;
    used.set(y, k + 1);
    boxes.set(n.name, { x: LEFT + endCol * COL + k * (W + 40), y });
  }
  return boxes;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function edgePath(a: Box, b: Box, self: boolean): { d: string; lx: number; ly: number } {
  if (self) {
    const x = a.x + W;
    const y = a.y + H / 2;
    return { d: `M${x},${y - 12} C${x + 60},${y - 40} ${x + 60},${y + 40} ${x},${y + 12}`, lx: x + 50, ly: y - 26 };
  }
  if (a.x === b.x && b.y > a.y && b.y - a.y <= ROW) {
    const x = a.x + W / 2;
    return { d: `M${x},${a.y + H} L${x},${b.y}`, lx: x + 6, ly: (a.y + H + b.y) / 2 + 4 };
  }
  if (a.x === b.x) {
    const bulge = Math.min(LEFT - 10, 30 + Math.abs(b.y - a.y) / 6);
    const y1 = a.y + H / 2;
    const y2 = b.y + H / 2;
    return { d: `M${a.x},${y1} C${a.x - bulge},${y1} ${a.x - bulge},${y2} ${a.x},${y2}`, lx: a.x - bulge - 4, ly: (y1 + y2) / 2 };
  }
  const x1 = a.x + W;
  const y1 = a.y + H / 2;
  const y2 = b.y + H / 2;
  const mx = (x1 + b.x) / 2;
  // The label sits above the edge's start, in the gap between the columns.
  return { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${b.x},${y2}`, lx: x1 + 6, ly: y1 - 5 };
}

/** The SVG markup; `mask` is applied to every label (commands may hold secret values). */
export function renderGraphSvg(model: GraphModel, hl: Highlight, mask: (s: string) => string): Markup {
  const boxes = place(model);
  let maxX = 0;
  let maxY = 0;
  for (const b of boxes.values()) {
    maxX = Math.max(maxX, b.x + W);
    maxY = Math.max(maxY, b.y + H);
  }
  const parts: string[] = [];
  model.edges.forEach((e, i) => {
    const a = boxes.get(e.from);
    const b = boxes.get(e.to);
    if (!a || !b) return;
    const { d, lx, ly } = edgePath(a, b, e.from === e.to);
    const cls = `edge ${e.kind}${hl.taken.has(i) ? ' taken' : ''}`;
    const anchor = a.x === b.x && e.from !== e.to && !(b.y > a.y && b.y - a.y <= ROW) ? 'end' : 'start';
    parts.push(`<g class="${cls}" data-from="${e.from}" data-to="${e.to}"><path d="${d}" marker-end="url(#arrow)"/><text x="${lx}" y="${ly}" text-anchor="${anchor}">${escapeHtml(clip(mask(e.label), a.x === b.x ? 34 : 16))}</text></g>`);
  });
  for (const n of model.nodes) {
    const b = boxes.get(n.name);
    if (!b) continue;
    const st = hl.nodes.get(n.name) ?? { state: 'not-run', runs: 0 };
    const isEnd = n.taskId === undefined;
    const lines = mask(n.label).split('\n').slice(0, 3);
    const text = lines.map((l, i) => `<tspan x="${b.x + 10}" dy="${i === 0 ? 0 : 15}"${i === 0 ? ' class="title"' : ''}>${escapeHtml(clip(l, 34))}</tspan>`).join('');
    const badge = st.runs > 1 ? `<text class="runs" x="${b.x + W - 8}" y="${b.y + 16}" text-anchor="end">×${st.runs}</text>` : '';
    parts.push(`<g class="node ${isEnd ? 'end' : 'task'} ${st.state}" data-node="${n.name}"${n.taskId !== undefined ? ` data-task="${n.taskId}"` : ''} data-runs="${st.runs}">`
      + `<rect x="${b.x}" y="${b.y}" width="${W}" height="${H}" rx="${isEnd ? 26 : 8}"/><text x="${b.x + 10}" y="${b.y + 18}">${text}</text>${badge}</g>`);
  }
  const defs = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>';
  return raw(`<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="${maxX + 120}" height="${maxY + 20}" viewBox="0 0 ${maxX + 120} ${maxY + 20}">${defs}${parts.join('')}</svg>`);
}
