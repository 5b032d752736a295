import test from 'ava';
import { appendFileSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunIndex } from '../../../controller/console/run-index.js';
import { readLogPage } from '../../../controller/console/pages/log-page.js';
import { MAX_LINE } from '../../../controller/console/scan-lines.js';
import { tasksFromLog } from '../../../controller/console/task-views.js';
import { makeBase, runTasker } from './console-helpers.js';

const OK = 'task=0\nhostname=localhost\ncommand=echo\narguments=fine\nexec=local\n';
const FAIL = 'task=0\nhostname=localhost\ncommand=sh\narguments=-c "exit 4"\nexec=local\n\ntask=1\nhostname=localhost\ncommand=echo\narguments=never\nexec=local\n';

test('a run\'s log, JSON result and summary row are one run; newest first; filters', (t) => {
  const base = makeBase();
  t.is(runTasker(base, 'ok.txt', OK, ['-p', 'alpha', '--output-json', join(base, 'out', 'ok.json')]), 0);
  t.is(runTasker(base, 'fail.txt', FAIL, ['-p', 'beta']), 10);
  const index = new RunIndex(base, 0);
  index.refresh();
  const runs = index.all().map((r) => ({ file: r.file.replace(/^.*\//, ''), status: r.status, exit: r.exitCode, project: r.project, json: Boolean(r.jsonFile), log: Boolean(r.logFile) }));
  t.deepEqual(runs, [
    { file: 'fail.txt', status: 'failed', exit: 10, project: 'beta', json: false, log: true },
    { file: 'ok.txt', status: 'success', exit: 0, project: 'alpha', json: true, log: true },
  ]);
  t.deepEqual(index.filter({ project: 'alpha' }).map((r) => r.exitCode), [0]);
  t.deepEqual(index.filter({ status: 'failed' }).map((r) => r.project), ['beta']);
  t.deepEqual(index.filter({ file: 'OK.TXT' }).map((r) => r.project), ['alpha']);
  t.deepEqual(index.projects(), ['alpha', 'beta']);
  // A new run is found by the next scan.
  runTasker(base, 'again.txt', OK);
  t.true(index.refresh());
  t.is(index.all().length, 3);
});

test('a log without its end marker is running while written to, unknown once stale', (t) => {
  const base = makeBase();
  runTasker(base, 'ok.txt', OK);
  const log = join(base, 'logs', readdirSync(join(base, 'logs')).find((n) => n.startsWith('ok_'))!);
  // The same log cut before its end: a run still going.
  const text = readFileSync(log, 'utf8').split('\n').filter((l) => !/Workflow completed|Task Execution End|Log file:/.test(l)).join('\n');
  writeFileSync(log, text);
  const index = new RunIndex(base, 0);
  index.refresh();
  t.is(index.all()[0]!.status, 'running');
  const old = Date.now() / 1000 - 3600;
  utimesSync(log, old, old);
  index.refresh();
  t.is(index.all()[0]!.status, 'unknown');
});

test('a run without a JSON result gets its tasks and path from the log', (t) => {
  const base = makeBase();
  runTasker(base, 'fail.txt', FAIL);
  const log = join(base, 'logs', readdirSync(join(base, 'logs')).find((n) => n.startsWith('fail_'))!);
  const { tasks, executionPath } = tasksFromLog(log);
  t.deepEqual(executionPath, [0]);
  t.deepEqual(tasks.map((x) => [x.key, x.exitCode, x.success, x.command]), [['0', 4, false, 'sh -c "exit 4"']]);
});

test('log pages are bounded: a huge line is cut, a page holds 200 lines, the next page starts where it stopped', (t) => {
  const base = makeBase();
  const log = join(base, 'big.log');
  writeFileSync(log, `[x] Task 1: STDOUT: ${'y'.repeat(3 << 20)}\n`);
  for (let i = 0; i < 450; i++) appendFileSync(log, `[x] Task ${i % 3}: line ${i}\n`);
  const first = readLogPage(log, { from: 0, mask: (s) => s, href: '/run/X/log' }).text;
  const lines = /<pre[^>]*>([\s\S]*)<\/pre>/.exec(first)![1]!.trimEnd().split('\n');
  t.is(lines.length, 200);
  t.true(lines[0]!.length <= MAX_LINE);
  t.is(lines[199], '[x] Task 0: line 198');
  const next = /href="\/run\/X\/log\?from=(\d+)"/.exec(first)![1]!;
  const second = readLogPage(log, { from: Number(next), mask: (s) => s }).text;
  t.regex(second, /^<pre[^>]*>\[x\] Task 1: line 199\n/);
  // One task's lines only.
  const task2 = readLogPage(log, { from: 0, task: '2', mask: (s) => s.replace('line', 'LINE') }).text;
  t.regex(task2, /Task 2: LINE 2\n\[x\] Task 2: LINE 5\n/);
  t.notRegex(task2, /Task 1:/);
});

test('values of the config\'s extra secret names are masked on the run page even where the run itself did not mask them', async (t) => {
  const { addSecretNames } = await import('../../../shared/taskfile/secret-names.js');
  const { loadRunDetail } = await import('../../../controller/console/run-detail.js');
  const { renderRunPage } = await import('../../../controller/console/pages/run-page.js');
  const base = makeBase();
  // Run without the config: `ROUTER_SEED` is not a secret name by default, so the log and JSON hold it.
  runTasker(base, 'seed.txt', 'ROUTER_SEED=zebra-42-quartz\ntask=0\nhostname=localhost\ncommand=echo\narguments=@ROUTER_SEED@\nexec=local\n', ['--output-json', join(base, 'seed.json')]);
  const index = new RunIndex(base, 0);
  index.refresh();
  const run = index.all()[0]!;
  t.true(readFileSync(run.logFile!, 'utf8').includes('zebra-42-quartz'));
  addSecretNames(['ROUTER_*']);
  try {
    const page = renderRunPage(loadRunDetail(run));
    t.false(page.includes('zebra-42-quartz'));
    t.true(page.includes('&lt;masked len=15&gt;'));
  } finally {
    addSecretNames([]);
  }
});
