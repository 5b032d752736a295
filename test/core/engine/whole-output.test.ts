/**
 * Conditions see the whole output (SPEC §2a): a task that prints more than the 1 MiB kept in
 * memory is judged on all of it, run locally by the real CLI, at the top level and in a block.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, spawnTasker, tempDir, TASKER_BIN } from '../../helpers/run-cli.js';
import { assertRouting, assertWholeOutput, EMIT_OUTPUT, wholeOutputBlockFile, wholeOutputFile, type RunJson } from '../../helpers/whole-output.js';

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

test('a 200 MB output judged on all of it keeps the controller\'s memory bounded', async (t) => {
  const dir = tempDir();
  const lines = 16_000_000; // "line N\n": about 214 MB
  // An ASCII pattern, a non-ASCII one (read as decoded text) and a line count: each a pass over the spill file.
  writeFileSync(join(dir, 'f.txt'), `task=0\nhostname=localhost\nexec=local\ncommand=${EMIT_OUTPUT}\narguments=lines:${lines} text:NEEDLE\nsuccess=stdout~NEEDLE&stdout!~NEEDLÉ&stdout_count=${lines + 1}\n`);
  const rssFile = join(dir, 'max-rss');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--require', join(ROOT, 'test', 'fixtures', 'report-max-rss.cjs'), TASKER_BIN, '-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], {
      cwd: dir, env: { ...process.env, REPORT_MAX_RSS: rssFile }, stdio: 'ignore',
    });
    child.on('close', resolve);
  });
  try {
    t.is(code, 0);
    const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunJson;
    t.true(json.task_results['0']!.success, 'NEEDLE at the very end of 214 MB, and every line counted');
    const maxRssMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
    // Holding the output would take 214 MB on top of Node's own ~60 MB; measured: about 125 MiB.
    t.true(maxRssMiB < 230, `peak RSS ${maxRssMiB.toFixed(0)} MiB`);
    t.log(`peak RSS of tasker with a 214 MB output: ${maxRssMiB.toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
