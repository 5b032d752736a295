// tasker/import-through-index: a folder with an index.ts is used through it from outside. Files
// inside the folder (and its subfolders) import each other directly.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { resolveImport } from './import-graph.mjs';
import { visitImports } from './import-sources.mjs';

/** The outermost folder around `target` that has an index.ts and does not hold `importer`. */
function findEntryFolder(root, importer, target) {
  let entry;
  for (let dir = dirname(target); dir.startsWith(root + sep); dir = dirname(dir)) {
    if (isInside(importer, dir)) break;
    if (existsSync(join(dir, 'index.ts'))) entry = dir;
  }
  return entry;
}

/**
 * A file marked `@entry-point` in its first lines is imported directly: it is kept out of its
 * folder's index on purpose (loaded on demand, so the index stays light for runs that need none of it).
 */
const entryPoints = new Map();
function isEntryPoint(file) {
  if (!entryPoints.has(file)) {
    const head = Buffer.alloc(1024);
    const fd = openSync(file, 'r');
    const n = readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    entryPoints.set(file, head.subarray(0, n).toString('utf8').includes('@entry-point'));
  }
  return entryPoints.get(file);
}

function isInside(file, dir) {
  return file.startsWith(dir + sep);
}

export default {
  meta: {
    type: 'problem',
    docs: { description: "Import a folder's files from outside it through its index.ts" },
    fixable: 'code',
    // `root`: the project folder (default: ESLint's working directory).
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      index: "import '{{specifier}}' reaches into {{folder}}/: import it from {{folder}}/index.ts (export it there if it is missing).",
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    return visitImports((node, specifier, literal) => {
      const target = resolveImport(file, specifier);
      if (target === undefined) return;
      const folder = findEntryFolder(root, file, target);
      if (folder === undefined || target === join(folder, 'index.ts') || isEntryPoint(target)) return;
      let entry = relative(dirname(file), join(folder, 'index.js')).split(sep).join('/');
      if (!entry.startsWith('.')) entry = `./${entry}`;
      context.report({
        node,
        messageId: 'index',
        data: { specifier, folder: relative(root, folder).split(sep).join('/') },
        // Points the import at the index; tsc then names any export the index still lacks.
        fix: (fixer) => fixer.replaceText(literal, `'${entry}'`),
      });
    });
  },
};
