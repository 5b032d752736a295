import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandGlob } from '../../../controller/parallelr/glob.js';
import { makeSandbox, runCli } from './helpers.js';

/** tasks/{x.txt, a/y.txt, a/b/z.sh, .hidden/h.txt, .dot} under a fresh sandbox. */
function nestedTree() {
  const sb = makeSandbox();
  for (const d of ['a/b', '.hidden']) mkdirSync(join(sb.tasks, d), { recursive: true });
  for (const f of ['x.txt', 'a/y.txt', 'a/b/z.sh', '.hidden/h.txt', '.dot']) writeFileSync(join(sb.tasks, f), '');
  return sb;
}

test('parallelr -T DIR/** finds the files in nested folders (the real CLI)', async (t) => {
  const sb = nestedTree();
  const r = await runCli(sb, ['-T', 'tasks/**', '-C', 'cat @TASK@']);
  t.is(r.code, 0, r.output);
  t.deepEqual(r.output.match(/tasks\/\S+/g), ['tasks/a/b/z.sh', 'tasks/a/y.txt', 'tasks/x.txt']);
});

test('** matches files at every depth, not hidden ones, in the pattern\'s own form', (t) => {
  const sb = nestedTree();
  t.deepEqual(expandGlob('tasks/**/*.txt', sb.dir), ['tasks/a/y.txt', 'tasks/x.txt']);
  t.deepEqual(expandGlob('**/z.sh', sb.dir), ['tasks/a/b/z.sh']);
  t.deepEqual(expandGlob(`${sb.tasks}/**/*.sh`, sb.dir), [join(sb.tasks, 'a/b/z.sh')]);
  t.deepEqual(expandGlob('./tasks/*.txt', sb.dir), ['./tasks/x.txt']);
  t.deepEqual(expandGlob('../tasks/*.txt', join(sb.dir, 'home')), ['../tasks/x.txt']);
});

test('hidden names match only a segment that starts with a dot', (t) => {
  const sb = nestedTree();
  t.deepEqual(expandGlob('tasks/*', sb.dir), ['tasks/a', 'tasks/x.txt']);
  t.deepEqual(expandGlob('tasks/[!x]*', sb.dir), ['tasks/a']);
  t.deepEqual(expandGlob('tasks/.*', sb.dir), ['tasks/.dot', 'tasks/.hidden']);
  t.deepEqual(expandGlob('tasks/.hidden/*', sb.dir), ['tasks/.hidden/h.txt']);
  t.deepEqual(expandGlob('tasks/**/.hidden/*', sb.dir), ['tasks/.hidden/h.txt']);
});

test('?, classes and no match', (t) => {
  const sb = nestedTree();
  t.deepEqual(expandGlob('tasks/?.txt', sb.dir), ['tasks/x.txt']);
  t.deepEqual(expandGlob('tasks/[wx].*', sb.dir), ['tasks/x.txt']);
  t.deepEqual(expandGlob('tasks/*.none', sb.dir), []);
  t.deepEqual(expandGlob('missing/*', sb.dir), []);
});
