/**
 * `--recovery-file FILE`: --auto-recovery keeps its state there instead of BASE/recovery, resumes
 * from it, --show-recovery-info reads it; the JSON names the state file and the -p summary.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { file, runTaskerIn, tempWith } from '../../helpers/tasker.js';

const flaky = (dir: string): string => file(
  'task=0', 'hostname=localhost', 'exec=local', 'command=sh', `arguments=-c "echo ran0 >> ${join(dir, 'trace')}"`, '',
  'task=1', 'hostname=localhost', 'exec=local', 'command=sh', `arguments=-c "echo ran1 >> ${join(dir, 'trace')}; test -e ${join(dir, 'ok')}"`,
);

interface Meta { recovery_file: string | null; summary_file: string | null; log_file: string | null }
const metaOf = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { workflow_metadata: Meta }).workflow_metadata;

test('--recovery-file: the state is kept in FILE (not under BASE/recovery), the rerun resumes from it, the JSON names it; dropped on success', async (t) => {
  const dir = tempWith();
  writeFileSync(join(dir, 'wf.txt'), flaky(dir));
  mkdirSync(join(dir, 'shared'));
  chmodSync(join(dir, 'shared'), 0o755);
  const state = join(dir, 'shared', 'wf.state.json');
  const args = ['-r', 'wf.txt', '--auto-recovery', '--recovery-file', 'shared/wf.state.json', '--output-json', 'out.json'];
  const first = await runTaskerIn(dir, args);
  t.is(first.code, 10, first.stderr);
  t.true(existsSync(state), 'kept where asked (relative to the working directory)');
  t.is(statSync(state).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'shared')).mode & 0o777, 0o755, "the operator's folder keeps its mode");
  t.false(existsSync(join(dir, 'logs', 'recovery')) && readdirSync(join(dir, 'logs', 'recovery')).length > 0, 'nothing under BASE/recovery');
  t.is(metaOf(join(dir, 'out.json')).recovery_file, state);

  const info = await runTaskerIn(dir, ['wf.txt', '--show-recovery-info', '--recovery-file', state]);
  t.is(info.code, 0, info.stderr);
  t.regex(info.stdout, /wf\.state\.json/);
  t.regex(info.stdout, /wf\.txt/);

  writeFileSync(join(dir, 'ok'), '');
  const second = await runTaskerIn(dir, args);
  t.is(second.code, 0, second.stderr);
  t.deepEqual(readFileSync(join(dir, 'trace'), 'utf8').trim().split('\n'), ['ran0', 'ran1', 'ran1'], 'resumed at task 1');
  t.false(existsSync(state), 'dropped once the file succeeded');
  t.is(metaOf(join(dir, 'out.json')).recovery_file, state, 'named also when it is gone: the run used it');
});

test('the JSON names the -p summary and the default recovery file; null when not asked for', async (t) => {
  const dir = tempWith();
  writeFileSync(join(dir, 'wf.txt'), flaky(dir));
  const plain = await runTaskerIn(dir, ['-r', 'wf.txt', '--output-json', 'plain.json']);
  t.is(plain.code, 10, plain.stderr);
  t.like(metaOf(join(dir, 'plain.json')), { recovery_file: null, summary_file: null });

  const asked = await runTaskerIn(dir, ['-r', 'wf.txt', '-p', 'ops', '--auto-recovery', '--output-json', 'asked.json']);
  t.is(asked.code, 10, asked.stderr);
  const meta = metaOf(join(dir, 'asked.json'));
  t.is(meta.summary_file, join(dir, 'logs', 'logs', 'project_ops_summary.log'), 'BASE/logs (BASE: TASK_EXECUTOR_LOG)');
  t.true(existsSync(meta.summary_file!), meta.summary_file ?? '');
  t.regex(readFileSync(meta.summary_file!, 'utf8'), /\twf\.txt\t1\t/);
  t.regex(meta.recovery_file ?? '', /\/logs\/recovery\/wf_[0-9a-f]{8}\.recovery\.json$/);
  t.true(existsSync(meta.recovery_file!));

  // A file refused before it ran: its row (log `-`) and the JSON naming the summary.
  writeFileSync(join(dir, 'bad.txt'), 'task=0\nhostname=localhost\ncommand=echo\nexec=local\nnext=bogus\n');
  const bad = await runTaskerIn(dir, ['-r', 'bad.txt', '-p', 'ops', '--output-json', 'bad.json']);
  t.is(bad.code, 20, bad.stderr);
  const badMeta = metaOf(join(dir, 'bad.json'));
  t.is(badMeta.summary_file, meta.summary_file);
  t.is(badMeta.log_file, null);
  t.regex(readFileSync(meta.summary_file!, 'utf8'), /\tbad\.txt\t-1\t.*\t20\tFAILURE\t-\n$/);
});

test('--recovery-file naming a directory, a link or a FIFO is a usage error before anything runs (the state renames over its file); also from the file\'s own option lines', async (t) => {
  const dir = tempWith();
  writeFileSync(join(dir, 'wf.txt'), flaky(dir));
  mkdirSync(join(dir, 'a-dir'));
  writeFileSync(join(dir, 'target'), 'kept\n');
  symlinkSync(join(dir, 'target'), join(dir, 'a-link'));
  execFileSync('mkfifo', [join(dir, 'a-fifo')]);
  for (const [name, what] of [['a-dir', 'a directory'], ['a-link', 'a symbolic link'], ['a-fifo', 'a FIFO']] as const) {
    const r = await runTaskerIn(dir, ['-r', 'wf.txt', '--auto-recovery', '--recovery-file', name]);
    t.is(r.code, 2, r.stderr);
    t.true(r.stderr.includes(`tasker: error: --recovery-file must name a regular file (or one to create): ${join(dir, name)} is ${what}`), r.stderr);
  }
  t.false(existsSync(join(dir, 'trace')), 'nothing ran');
  t.true(lstatSync(join(dir, 'a-link')).isSymbolicLink());
  t.true(lstatSync(join(dir, 'a-fifo')).isFIFO());
  t.is(readFileSync(join(dir, 'target'), 'utf8'), 'kept\n');

  writeFileSync(join(dir, 'opts.txt'), `--auto-recovery\n--recovery-file a-fifo\n${flaky(dir)}`);
  const fromFile = await runTaskerIn(dir, ['-r', 'opts.txt']);
  t.is(fromFile.code, 2, fromFile.stderr);
  t.regex(fromFile.stderr, /--recovery-file must name a regular file .* is a FIFO/);
});
