// The project's own module graph: every relative import, export-from and import() of the
// TypeScript sources, type-only ones included, resolved to files. Read once per lint run.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** The folders whose sources make up the graph. */
export const SOURCE_ROOTS = ['shared', 'core', 'controller', 'agent'];

const graphs = new Map();

/** Resolves a relative specifier the way NodeNext does for our sources (`./x.js` → `./x.ts`). */
export function resolveImport(importer, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(importer), specifier);
  if (target.endsWith('.js')) {
    const source = `${target.slice(0, -3)}.ts`;
    if (existsSync(source)) return source;
  }
  return existsSync(target) && statSync(target).isFile() ? target : undefined;
}

/** The graph of the sources under `root`: absolute file → set of absolute files it imports. */
export function loadImportGraph(root) {
  let graph = graphs.get(root);
  if (graph === undefined) {
    graph = buildGraph(root);
    graphs.set(root, graph);
  }
  return graph;
}

function buildGraph(root) {
  const edges = new Map();
  for (const folder of SOURCE_ROOTS) {
    for (const file of listSources(join(root, folder))) {
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const targets = new Set();
      for (const ref of info.importedFiles) {
        const target = resolveImport(file, ref.fileName);
        if (target !== undefined && target.endsWith('.ts')) targets.add(target);
      }
      edges.set(file, targets);
    }
  }
  return { root, edges, componentOf: findComponents(edges) };
}

function listSources(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Tarjan's strongly connected components; maps each file on a cycle to its component id. */
function findComponents(edges) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const componentOf = new Map();
  let counter = 0;
  let components = 0;
  const visit = (start) => {
    // Iterative, so a deep import chain cannot overflow the call stack.
    const work = [[start, [...(edges.get(start) ?? [])], 0]];
    index.set(start, counter); low.set(start, counter); counter++;
    stack.push(start); onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, next] = frame;
      if (frame[2] < next.length) {
        const child = next[frame[2]++];
        if (!edges.has(child)) continue;
        if (!index.has(child)) {
          index.set(child, counter); low.set(child, counter); counter++;
          stack.push(child); onStack.add(child);
          work.push([child, [...(edges.get(child) ?? [])], 0]);
        } else if (onStack.has(child)) {
          low.set(node, Math.min(low.get(node), index.get(child)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) === index.get(node)) {
        const members = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          members.push(member);
        } while (member !== node);
        const selfLoop = edges.get(node)?.has(node) ?? false;
        if (members.length > 1 || selfLoop) {
          for (const m of members) componentOf.set(m, components);
          components++;
        }
      }
    }
  };
  for (const file of edges.keys()) if (!index.has(file)) visit(file);
  return componentOf;
}

/** The shortest import path from `from` to `to` inside one cycle, as root-relative names. */
export function findPath(graph, from, to) {
  const component = graph.componentOf.get(from);
  const previous = new Map([[from, undefined]]);
  const queue = [from];
  while (queue.length > 0) {
    const node = queue.shift();
    if (node === to) break;
    for (const next of graph.edges.get(node) ?? []) {
      if (previous.has(next) || graph.componentOf.get(next) !== component) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  const path = [];
  for (let node = to; node !== undefined; node = previous.get(node)) path.unshift(node);
  return path.map((file) => relative(graph.root, file).split(sep).join('/'));
}
