// tasker/no-import-cycle: no file may reach itself through imports. Unlike import-x/no-cycle it
// counts type-only imports and import() too, since both tie the files' designs together.
import { findPath, loadImportGraph, resolveImport } from './import-graph.mjs';
import { visitImports } from './import-sources.mjs';

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles, type-only imports and import() included' },
    // `root`: the project folder (default: ESLint's working directory).
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      cycle: "import '{{specifier}}' closes a cycle: {{path}}. Type-only imports and import() count: move what both sides need into a file both import.",
    },
  },
  create(context) {
    const file = context.filename;
    const graph = loadImportGraph(context.options[0]?.root ?? context.cwd);
    const component = graph.componentOf.get(file);
    if (component === undefined) return {};
    return visitImports((node, specifier) => {
      const target = resolveImport(file, specifier);
      if (target === undefined || graph.componentOf.get(target) !== component) return;
      const path = findPath(graph, target, file);
      context.report({ node, messageId: 'cycle', data: { specifier, path: [path.at(-1), ...path].join(' → ') } });
    });
  },
};
