#!/usr/bin/env node
// Bundle the `tasker` and `parallelr` bins into dist/controller/cli/{tasker,parallelr}.cjs, the
// files npm links as the commands. Start-up is most of a short run, so the bins are built for it:
// - one CommonJS file each: Node's ESM loader pays per module (resolve, read, link, and for
//   `import … from 'node:fs'` it builds a facade that loads the whole streams stack); ~45 ESM
//   modules cost ~35 ms, one ESM bundle ~20 ms more than the same code as CommonJS. Code a run
//   may not need (agents, ssh, recovery, graph, NATS, the engine for parallelr's in-process runs)
//   is still only evaluated on first use; npm packages stay external and load when needed, but
//   the NATS client, which is one file beside the bins (nats-vendor.cjs, below).
// - dist/controller/cli/{tasker,parallelr}.js, tsc's copies, become two-line ESM wrappers that
//   load the bundles, so `node dist/controller/cli/tasker.js …` keeps working everywhere.
// - the agent, dist/agent/cli/tasker-agent.cjs, is one file with its npm packages in it: an SSH
//   install (agent/install/package-tarball.ts) ships that bundle and proto/, no node_modules, so
//   nothing in it is built for the controller's architecture. ssh2's optional native parts
//   (cpu-features, sshcrypto.node) stay out; ssh2 falls back to its JavaScript code without them.
// - the console, dist/controller/cli/tasker-ui.cjs, like tasker; its one browser script
//   (controller/console/web/console.ts) is bundled first and inlined, so the page needs nothing
//   but the console itself (a copy goes to dist/console/console.js for runs from the sources).
// The rest of dist/ is tsc's output, unchanged (tests import the TypeScript).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'controller', 'cli');
// The shebang that keeps Node from parsing NODE_EXTRA_CA_CERTS at start: shared/extra-ca-certs.ts.
const SHEBANG = '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS TASKER_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node';

/**
 * The NATS client (`@nats-io/transport-node` and `@nats-io/jetstream`, sharing one `nats-core`) as
 * one CommonJS file beside the bins, loaded when a command first uses NATS: from node_modules it is
 * ~50 modules to resolve and read (≈ 30 ms of a distributed run's start), as one file ≈ 17 ms
 * (docs/benchmarks.md, "Batches"). Kept out of the bins themselves, which every local run parses.
 */
const NATS_VENDOR = 'nats-vendor.cjs';
await build({
  absWorkingDir: root,
  stdin: {
    contents: "export * as transport from '@nats-io/transport-node';\nexport * as jetstream from '@nats-io/jetstream';\n",
    resolveDir: root,
    sourcefile: 'nats-vendor.js',
  },
  outfile: join(outdir, NATS_VENDOR),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

/** In the bins, the two NATS packages come from the vendor file above (required at first use). */
const natsFromVendor = {
  name: 'nats-from-vendor',
  setup(b) {
    b.onResolve({ filter: /^@nats-io\/(transport-node|jetstream)$/ }, (args) => ({ path: args.path, namespace: 'nats-vendor' }));
    b.onLoad({ filter: /.*/, namespace: 'nats-vendor' }, (args) => ({
      contents: `module.exports = require('./${NATS_VENDOR}').${args.path.endsWith('jetstream') ? 'jetstream' : 'transport'};`,
      loader: 'js',
    }));
    b.onResolve({ filter: new RegExp(`^\\./${NATS_VENDOR.replace('.', '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
  },
};

/** One CommonJS bundle per entry, with the shebang above and `extra` constants defined. */
function bundleCli(entryPoints, extra = {}) {
  return build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    plugins: [natsFromVendor],
    // The sources are ESM: give them import.meta.url in CommonJS. "use strict" first, as ESM code
    // is strict (esbuild's own directive comes after the banner, where it no longer counts).
    define: { 'import.meta.url': '__tasker_import_meta_url', ...extra },
    banner: { js: `${SHEBANG}\n"use strict";\nconst __tasker_import_meta_url = require('node:url').pathToFileURL(__filename).href;` },
    logLevel: 'warning',
  });
}

await bundleCli({ tasker: 'controller/cli/tasker.ts', parallelr: 'controller/cli/parallelr.ts' });

const web = await build({
  absWorkingDir: root,
  entryPoints: ['controller/console/web/console.ts'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  write: false,
  logLevel: 'warning',
});
const consoleJs = web.outputFiles[0].text;
mkdirSync(join(root, 'dist', 'console'), { recursive: true });
writeFileSync(join(root, 'dist', 'console', 'console.js'), consoleJs);

await bundleCli({ 'tasker-ui': 'controller/cli/tasker-ui.ts' }, { __TASKER_CONSOLE_JS__: JSON.stringify(consoleJs) });

// `createRequire(import.meta.url)('yaml')` (a lazy load) is opaque to esbuild; a plain require of the
// same package is bundled and still only evaluated on first use.
const bundleLazyYaml = {
  name: 'bundle-lazy-yaml',
  setup(b) {
    b.onLoad({ filter: /shared[\\/]config[\\/]yaml\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace("createRequire(import.meta.url)('yaml')", "require('yaml')"),
      loader: 'ts',
    }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: { 'tasker-agent': 'agent/cli/tasker-agent.ts' },
  outdir: join(root, 'dist', 'agent', 'cli'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['cpu-features', '*.node'],
  plugins: [bundleLazyYaml],
  define: { 'import.meta.url': '__tasker_import_meta_url' },
  banner: { js: `#!/usr/bin/env node\n"use strict";\nconst __tasker_import_meta_url = require('node:url').pathToFileURL(__filename).href;` },
  logLevel: 'warning',
});

for (const [dir, bin] of [[outdir, 'tasker'], [outdir, 'parallelr'], [outdir, 'tasker-ui'], [join(root, 'dist', 'agent', 'cli'), 'tasker-agent']]) {
  writeFileSync(
    join(dir, `${bin}.js`),
    `${bin === 'tasker-agent' ? '#!/usr/bin/env node' : SHEBANG}\n// Loads ${bin}.cjs, the bundled command (see scripts/bundle-cli.mjs).\nimport { createRequire } from 'node:module';\n\ncreateRequire(import.meta.url)('./${bin}.cjs');\n`,
  );
}

// The bins also run directly; tsc writes files without the execute bit.
for (const bin of ['controller/cli/tasker.cjs', 'controller/cli/parallelr.cjs', 'controller/cli/tasker-ui.cjs', 'controller/cli/tasker-ui.js', 'controller/cli/tasker.js', 'controller/cli/parallelr.js', 'agent/cli/tasker-agent.js', 'agent/cli/tasker-agent.cjs']) {
  chmodSync(join(root, 'dist', bin), 0o755);
}
