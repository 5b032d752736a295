/** The rules of `npm run lint` (eslint.config.mjs, scripts/eslint/) on small source trees of their own. */
import test from 'ava';
import { ESLint } from 'eslint';
// @ts-expect-error: the config is plain JavaScript without type declarations.
import { createConfig } from '../../../eslint.config.mjs';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Tree = Record<string, string>;

function writeTree(tree: Tree): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-lint-'));
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Lints the tree with the project's config; `path:line rule` for each problem, sorted. */
async function lintTree(tree: Tree, fix = false): Promise<{ dir: string; problems: string[] }> {
  const dir = writeTree(tree);
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: createConfig(dir), fix });
  const results = await eslint.lintFiles(Object.keys(tree));
  if (fix) await ESLint.outputFixes(results);
  const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(dir.length + 1)}:${m.line} ${m.ruleId}`));
  return { dir, problems: problems.sort() };
}

test('a cycle made only of type imports is an error at each import on it', async (t) => {
  const { problems } = await lintTree({
    'controller/run/a.ts': "import type { B } from './b.js';\n\nexport interface A {\n  b?: B;\n}\n",
    'controller/run/b.ts': "import type { A } from './a.js';\n\nexport interface B {\n  a?: A;\n}\n",
    'controller/run/c.ts': "import type { A } from './a.js';\n\nexport type C = A;\n",
  });
  t.deepEqual(problems, ['controller/run/a.ts:1 tasker/no-import-cycle', 'controller/run/b.ts:1 tasker/no-import-cycle']);
});

test('a cycle through import() counts, and the message names the files on it', async (t) => {
  const dir = writeTree({
    'controller/x/main.ts': "import { helper } from './helper.js';\n\nexport async function main(): Promise<number> {\n  return helper() + (await import('./late.js')).late();\n}\n",
    'controller/x/helper.ts': 'export function helper(): number {\n  return 1;\n}\n',
    'controller/x/late.ts': "import { main } from './main.js';\n\nexport function late(): number {\n  return main.length;\n}\n",
  });
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: createConfig(dir) });
  const [result] = await eslint.lintFiles(['controller/x/main.ts']);
  t.is(result!.messages.length, 1);
  t.is(result!.messages[0]!.ruleId, 'tasker/no-import-cycle');
  t.is(result!.messages[0]!.line, 4);
  t.regex(result!.messages[0]!.message, /controller\/x\/main\.ts → controller\/x\/late\.ts → controller\/x\/main\.ts/);
});

test('shared imports neither side; agent and controller never import each other (type-only included)', async (t) => {
  const { problems } = await lintTree({
    'shared/model.ts': "import type { Run } from '../controller/run.js';\n\nexport type Model = Run;\n",
    'shared/log.ts': "export { serve } from '../agent/serve.js';\n",
    'controller/run.ts': "import type { Serve } from '../agent/serve.js';\n\nexport type Run = Serve;\n",
    'agent/serve.ts': "import type { Model } from '../shared/model.js';\n\nexport type Serve = Model;\nexport async function serve(): Promise<unknown> {\n  return import('../controller/run.js');\n}\n",
  });
  const layers = problems.filter((p) => p.endsWith('import-x/no-restricted-paths'));
  t.deepEqual(layers, [
    'agent/serve.ts:5 import-x/no-restricted-paths',
    'controller/run.ts:1 import-x/no-restricted-paths',
    'shared/log.ts:1 import-x/no-restricted-paths',
    'shared/model.ts:1 import-x/no-restricted-paths',
  ]);
});

test('a folder with an index.ts is imported through it from outside, and --fix points the import there', async (t) => {
  const tree: Tree = {
    'shared/exec/index.ts': "export { spawnIt } from './spawn.js';\n",
    'shared/exec/spawn.ts': "import { helper } from './helper.js';\n\nexport function spawnIt(): number {\n  return helper();\n}\n",
    'shared/exec/helper.ts': 'export function helper(): number {\n  return 1;\n}\n',
    'shared/exec/deep/inner.ts': "import { helper } from '../helper.js';\n\nexport const inner = helper;\n",
    'shared/plain/tool.ts': 'export const tool = 1;\n',
    'controller/use.ts': "import { spawnIt } from '../shared/exec/spawn.js';\nimport { tool } from '../shared/plain/tool.js';\nimport { spawnIt as again } from '../shared/exec/index.js';\n\nexport const used = spawnIt() + tool + again();\n",
  };
  const { problems } = await lintTree(tree);
  t.deepEqual(problems, ['controller/use.ts:1 tasker/import-through-index']);
  const fixed = await lintTree(tree, true);
  t.deepEqual(fixed.problems, []);
  t.regex(readFileSync(join(fixed.dir, 'controller/use.ts'), 'utf8'), /^import \{ spawnIt \} from '\.\.\/shared\/exec\/index\.js';$/m);
});

test('formatting: the house style is enforced with file:line and the rule', async (t) => {
  const { problems } = await lintTree({
    'shared/style.ts': 'export const a = "double";\nexport const b = 1\n',
  });
  t.deepEqual(problems, ['shared/style.ts:1 @stylistic/quotes', 'shared/style.ts:2 @stylistic/semi']);
});

test('the lint output is one line per problem: path:line:col, severity, rule, message', async (t) => {
  const dir = writeTree({ 'controller/run.ts': "import type { Serve } from '../agent/serve.js';\n\nexport type Run = Serve;\n", 'agent/serve.ts': 'export type Serve = 1;\n' });
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: createConfig(dir) });
  const formatter = await eslint.loadFormatter(join(dirname(fileURLToPath(import.meta.url)), '../../../scripts/eslint/line-formatter.mjs'));
  const text = await formatter.format(await eslint.lintFiles(['controller/run.ts', 'agent/serve.ts']));
  t.is(text, [
    'controller/run.ts:1:28: error [import-x/no-restricted-paths] Unexpected path "../agent/serve.js" imported in restricted zone. controller/ never imports agent/: move what both need into shared/.',
    'lint: 1 error(s), 0 warning(s); rules: docs/architecture.md#lint',
    '',
  ].join('\n'));
});
