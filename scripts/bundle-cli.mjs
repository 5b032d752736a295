#!/usr/bin/env node
// Bundle the `tasker` and `parallelr` bins into dist/controller/cli/{tasker,parallelr}.cjs, the
// files npm links as the commands. Start-up is most of a short run, so the bins are built for it:
// - one CommonJS file each: Node's ESM loader pays per module (resolve, read, link, and for
//   `import … from 'node:fs'` it builds a facade that loads the whole streams stack); ~45 ESM
//   modules cost ~35 ms, one ESM bundle ~20 ms more than the same code as CommonJS. Code a run
//   may not need (agents, ssh, recovery, graph, NATS, the engine for parallelr's in-process runs)
//   is still only evaluated on first use; npm packages stay external and load when needed.
// - dist/controller/cli/{tasker,parallelr}.js, tsc's copies, become two-line ESM wrappers that
//   load the bundles, so `node dist/controller/cli/tasker.js …` keeps working everywhere.
// The rest of dist/ is tsc's output, unchanged (the agent; tests import the TypeScript).
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'controller', 'cli');
// The shebang that keeps Node from parsing NODE_EXTRA_CA_CERTS at start: shared/extra-ca-certs.ts.
const SHEBANG = '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS TASKER_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node';

await build({
  absWorkingDir: root,
  entryPoints: { tasker: 'controller/cli/tasker.ts', parallelr: 'controller/cli/parallelr.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // The sources are ESM: give them import.meta.url in CommonJS. "use strict" first, as ESM code
  // is strict (esbuild's own directive comes after the banner, where it no longer counts).
  define: { 'import.meta.url': '__tasker_import_meta_url' },
  banner: { js: `${SHEBANG}\n"use strict";\nconst __tasker_import_meta_url = require('node:url').pathToFileURL(__filename).href;` },
  logLevel: 'warning',
});

for (const bin of ['tasker', 'parallelr']) {
  writeFileSync(
    join(outdir, `${bin}.js`),
    `${SHEBANG}\n// Loads ${bin}.cjs, the bundled command (see scripts/bundle-cli.mjs).\nimport { createRequire } from 'node:module';\n\ncreateRequire(import.meta.url)('./${bin}.cjs');\n`,
  );
}

// The bins also run directly; tsc writes files without the execute bit.
for (const bin of ['controller/cli/tasker.cjs', 'controller/cli/parallelr.cjs', 'controller/cli/tasker.js', 'controller/cli/parallelr.js', 'agent/cli/tasker-agent.js']) {
  chmodSync(join(root, 'dist', bin), 0o755);
}
