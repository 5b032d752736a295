#!/usr/bin/env node
// Bundle the `tasker` bin into dist/controller/cli/tasker.js (replacing tsc's copy) plus chunks
// that load on demand. Node's ESM loader pays per module (resolve, read, link): one file instead
// of ~45 takes ~35 ms off every start. Dynamic imports (agents, ssh, recovery, graph, yaml …)
// stay separate chunks in dist/controller/cli/chunks/, loaded only when a run needs them; npm
// packages stay external. The rest of dist/ is tsc's output, unchanged (parallelr loads the
// engine from dist/controller/cli/tasker-main.js; tests spawn the bins).
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'controller', 'cli');
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { tasker: 'controller/cli/tasker.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

// The bins run directly (`dist/controller/cli/tasker.js …`, or through npm's links); tsc writes
// them without the execute bit. tasker's shebang also matters for speed: see deferred-ca-env.ts.
for (const bin of ['controller/cli/tasker.js', 'controller/cli/parallelr.js', 'agent/cli/tasker-agent.js']) {
  chmodSync(join(root, 'dist', bin), 0o755);
}
