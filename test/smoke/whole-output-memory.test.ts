// Built bin: the peak memory measured is the tasker process's own.
/** Conditions see the whole output (SPEC §2a) of a 200 MB task with the controller's memory bounded. */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir, TASKER_BIN } from '../helpers/run-cli.js';
import { EMIT_OUTPUT, type RunJson } from '../helpers/whole-output.js';

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
