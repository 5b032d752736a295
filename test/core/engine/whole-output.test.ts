/**
 * Conditions see the whole output (SPEC §2a): a task that prints more than the 1 MiB kept in
 * memory is judged on all of it, run locally by `tasker` in-process, at the top level and in a
 * block (its memory bound: test/smoke/whole-output-memory.test.ts).
 */
import test from 'ava';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { assertRouting, assertWholeOutput, EMIT_OUTPUT, wholeOutputBlockFile, wholeOutputFile, type RunJson } from '../../helpers/whole-output.js';

/** Run a task file with its own TMPDIR (where spill files go: the run's io.env), to see what is left behind. */
async function run(text: string): Promise<{ code: number | null; json: RunJson; stdout: string; leftovers: string[] }> {
  const dir = tempDir();
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  writeFileSync(join(dir, 'f.txt'), text);
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir, env: { TMPDIR: tmp } });
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

test('in a conditional block: each sub-task of the branch is judged on its whole output', async (t) => {
  const r = await run(wholeOutputBlockFile('hostname=localhost\nexec=local\n', 0));
  t.is(r.code, 0);
  assertWholeOutput(t, r.json, (id) => `0-${100 + id}`);
});

test('loop_break and next=loop&COND judge each iteration on its whole output', async (t) => {
  const emit = `hostname=localhost\nexec=local\ncommand=${EMIT_OUTPUT}\narguments=fill:1300000 text:NEEDLE\n`;
  const r = await run(`task=0\n${emit}next=loop\nloop=3\nloop_break=stdout~NEEDLE\n\ntask=1\n${emit}next=loop&stdout!~NEEDLE\nloop=3\n`);
  t.is(r.code, 0);
  const summary = r.json as RunJson & { execution_summary: { loop_iterations: string[] } };
  t.deepEqual(summary.execution_summary.loop_iterations, ['0.1', '1.1'], 'each loop left after its first run');
  t.deepEqual(r.leftovers, []);
});

test("spill files go to the TMPDIR of the run's own environment (io.env), not the test process's", async (t) => {
  const dir = tempDir();
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  // The task lists the spill folder while its own output (past the 1 MiB kept in memory) is still spilled there.
  writeFileSync(join(dir, 'f.txt'), `task=0\nhostname=localhost\nexec=local\ncommand=sh\narguments=-c "${EMIT_OUTPUT} fill:3000000 text:NEEDLE; ls ${tmp} >&2"\nsuccess=stdout~NEEDLE\n`);
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir, env: { TMPDIR: tmp } });
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunJson;
  t.regex(json.task_results['0']!.stderr, /^tasker_stdout_\d+_\w+$/m, 'the spill file was in the run\'s TMPDIR');
  t.deepEqual(readdirSync(tmp), [], 'and is removed at the end of the run');
});
