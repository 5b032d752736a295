// Built bins on a real filesystem that fills up mid-run (docs/hostile-input.md, "Records that cannot be written").
/**
 * The records live on a small tmpfs of their own (mounted here; root, as the suite runs). A task of
 * the run fills it up, so the next writes of the log, results or output fail with ENOSPC. The run
 * must carry on: every later task runs, the loss is said once naming the file, the exit code is the
 * run's own, and what was written before stays.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/run-cli.js';

const TASKER = join(ROOT, 'dist', 'controller', 'cli', 'tasker.cjs');
const PARALLELR = join(ROOT, 'dist', 'controller', 'cli', 'parallelr.cjs');

/** A 256 KiB tmpfs, unmounted when the test ends. */
function smallDisk(t: { teardown(fn: () => void): void }): string {
  const dir = tempDir('disk-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
  t.teardown(() => execFileSync('umount', ['-l', dir]));
  return dir;
}

/** A task (exec=shell) that fills `disk` up; it succeeds. */
const fillUp = (disk: string) => `exec=shell\nhostname=localhost\ncommand=head -c 1000000 /dev/zero > ${disk}/filler ; true\n`;

/**
 * A task file whose task 1 fills `disk` up; tasks 2–4 then log more than a memory page (a tmpfs
 * file still grows into its last page when the disk is full), and task 5 touches `last`.
 */
function fillingChange(disk: string, work: string): { file: string; last: string } {
  const file = join(work, 'change.txt');
  const last = join(work, 'last-task-ran');
  const after = [2, 3, 4].map((id) => `task=${id}\nhostname=localhost\nexec=local\ncommand=echo\narguments=after ${'x'.repeat(1500)}\n`);
  writeFileSync(file, [
    'task=0\nhostname=localhost\nexec=local\ncommand=echo\narguments=before the disk filled up\n',
    `task=1\n${fillUp(disk)}`,
    ...after,
    `task=5\nhostname=localhost\nexec=local\ncommand=touch\narguments=${last}\n`,
  ].join('\n'));
  return { file, last };
}

test('tasker -r whose log disk fills up mid-run runs every task, warns once naming the log, and exits with the run\'s code', (t) => {
  const disk = smallDisk(t);
  const work = tempDir('disk-full-work-');
  const { file, last } = fillingChange(disk, work);
  const json = join(work, 'result.json');
  const r = spawnSync(TASKER, ['-r', file, '-l', join(disk, 'logs'), '--output-json', json], { encoding: 'utf8', env: { ...process.env, HOME: work } });
  t.is(r.status, 0, r.stderr);
  t.true(existsSync(last), 'the task after the disk filled up ran');
  t.notRegex(r.stderr, /internal error/);
  const warnings = r.stdout.split('\n').filter((l) => l.includes('cannot write'));
  t.is(warnings.length, 1, r.stdout);
  t.regex(warnings[0]!, /WARN: log file: cannot write \/.+\.log \(ENOSPC: no space left on device, write\): the file ends here; the run carries on$/);
  const result = JSON.parse(readFileSync(json, 'utf8')) as { task_results: Record<string, { success: boolean }>; warnings: string[] };
  t.deepEqual(Object.keys(result.task_results), ['0', '1', '2', '3', '4', '5']);
  t.true(result.warnings.some((w) => /log file: cannot write .*ENOSPC/.test(w)), 'the JSON result lists the loss');
  const log = /Log file: (\S+)/.exec(r.stdout)?.[1];
  t.true(log?.startsWith(disk), r.stdout);
  t.regex(readFileSync(log!, 'utf8'), /Task 0: STDOUT: before the disk filled up/, 'what was written before stays');
});

test('parallelr -r whose results disk fills up mid-run runs every file, warns once per file lost, and exits with the run\'s code', (t) => {
  const disk = smallDisk(t);
  const work = tempDir('disk-full-work-');
  const files = join(work, 'files');
  mkdirSync(files);
  // File 1 fills the disk; the others then run with nowhere to record.
  writeFileSync(join(files, 'a1.sh'), `head -c 1000000 /dev/zero > ${disk}/filler; true\n`);
  for (let i = 2; i <= 6; i++) writeFileSync(join(files, `a${i}.sh`), `echo ${'y'.repeat(3000)}; touch ${join(work, `ran${i}`)}\n`);
  const r = spawnSync(PARALLELR, ['-T', files, '-C', 'sh @TASK@', '-r', '-m', '1', '--log-task-output'], {
    encoding: 'utf8', env: { ...process.env, HOME: work, PARALLELR_HOME: disk },
  });
  t.is(r.status, 0, r.stderr);
  for (let i = 2; i <= 6; i++) t.true(existsSync(join(work, `ran${i}`)), `file ${i} ran`);
  t.notRegex(r.stderr, /internal error/);
  const lost = r.stderr.split('\n').filter((l) => l.startsWith('parallelr: warning: cannot write'));
  t.true(lost.length >= 1, r.stderr);
  t.is(new Set(lost).size, lost.length, 'each file is said once');
  for (const l of lost) {
    t.regex(l, /^parallelr: warning: cannot write (?:\/.+ \(ENOSPC: no space left on device, write\): the file ends here|the run's entry in \/.+ \(ENOSPC: no space left on device, write\): --list-workers and -k see it as of its last update, or not at all); the run carries on$/);
  }
  t.true(lost.some((l) => l.includes('_results.jsonl')), 'the results file is said lost');
  t.regex(r.stdout, /Completed Successfully: 6/, 'the summary still counts every file');
});

test('tasker -r --auto-recovery whose state disk fills up mid-run warns once and runs every task', (t) => {
  const disk = smallDisk(t);
  const work = tempDir('disk-full-work-');
  const { file, last } = fillingChange(disk, work);
  // HOME on the small disk: the recovery state (and the log) live there.
  const r = spawnSync(TASKER, ['-r', file, '--auto-recovery'], { encoding: 'utf8', env: { ...process.env, HOME: disk } });
  t.is(r.status, 0, r.stderr);
  t.true(existsSync(last), 'the task after the disk filled up ran');
  t.notRegex(r.stderr, /internal error/);
  const warnings = r.stdout.split('\n').filter((l) => l.includes('Cannot save the recovery state'));
  t.is(warnings.length, 1, r.stdout);
  t.regex(warnings[0]!, /WARN: Cannot save the recovery state \/.+\.recovery\.json \(ENOSPC: no space left on device, write\): --auto-recovery would resume from the last state saved; the run carries on$/);
});
