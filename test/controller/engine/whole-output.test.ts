/**
 * Conditions see the whole output (SPEC §2a): a task that prints more than the 1 MiB kept in
 * memory is judged on all of it, run locally by the real CLI, at the top level and in a block.
 */
import test from 'ava';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTasker, tempDir } from '../../helpers/run-cli.js';
import { assertRouting, assertWholeOutput, wholeOutputBlockFile, wholeOutputFile, type RunJson } from '../../helpers/whole-output.js';

/** Run a task file with its own TMPDIR (where spill files go), to see what is left behind. */
async function run(text: string): Promise<{ code: number | null; json: RunJson; stdout: string; leftovers: string[] }> {
  const dir = tempDir();
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  writeFileSync(join(dir, 'f.txt'), text);
  const r = await spawnTasker(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir, env: { TMPDIR: tmp } });
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunJson;
  return { code: r.code, json, stdout: r.stdout, leftovers: readdirSync(tmp) };
}

test('locally: stdout~, stdout!~, stdout_count, the stderr forms and splits see past the first 1 MiB; next= routes on it', async (t) => {
  const r = await run(wholeOutputFile('hostname=localhost\nexec=local\n'));
  t.is(r.code, 0, r.stdout.split('\n').filter((l) => !/STD(OUT|ERR):/.test(l)).join('\n'));
  assertWholeOutput(t, r.json);
  assertRouting(t, r.json);
  t.deepEqual(r.leftovers, [], 'spill files (and split ones) are removed at the end of the run');
});

test('in a parallel block: each sub-task is judged on its whole output', async (t) => {
  const r = await run(wholeOutputBlockFile('hostname=localhost\nexec=local\n', 3));
  t.is(r.code, 0);
  assertWholeOutput(t, r.json, (id) => `0-${100 + id}`);
  t.deepEqual(r.leftovers, []);
});
