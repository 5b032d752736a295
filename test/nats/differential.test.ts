/**
 * Local and distributed runs of the same directory give the same records (issue 14): every task
 * file of the repository's corpus (`test/corpus/good`, `test/corpus/bad`: valid workflows and every
 * kind of refused file), run by local parallelr and over two agents, through the built bins with a
 * real nats-server. Compared per file, paths and times aside: status, exit code, error message
 * (the failing task and its own exit code, or a refused file's first diagnostics naming the
 * operator's file) and the `-p` summary row. The same check over the peer's 336 conformance cases
 * is recorded in docs/nats.md ("Output and records").
 */
import test from 'ava';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import { ROOT, readResults, runParallelrBin, startWorker, taskerHomeEnv, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);
const TEMPLATE = `node ${join(ROOT, 'dist/controller/cli/tasker.cjs')} -r --skip-host-validation -p corpus @TASK@`;

function homeEnv(home: string): NodeJS.ProcessEnv {
  // The exec types' programs (pbrun, p7s, wwrs_clir) as the fixtures stand them in.
  return { ...taskerHomeEnv(home), PATH: `${join(ROOT, 'test/fixtures/bin')}:${process.env.PATH}` };
}

/** The record of each file, without what differs by side: paths of the run's own, times, agent and slot. */
function outcomes(results: string): Map<string, Partial<TaskRecord>> {
  return new Map(readResults(results).map((r) => [basename(r.task_file ?? ''), {
    status: r.status, exit_code: r.exit_code, error_message: r.error_message, failed_task: r.failed_task, task_exit_code: r.task_exit_code,
  }]));
}

/** The `-p` summary rows by file, without their time and log path. */
function summaryRows(home: string): Map<string, string[]> {
  const text = readFileSync(join(home, 'TASKER', 'logs', 'project_corpus_summary.log'), 'utf8');
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cols = line.split('\t');
    rows.set(basename(cols[1]!), [...cols.slice(1, -1), cols.at(-1) === '-' ? '-' : 'LOG']);
  }
  return rows;
}

test.serial('every corpus file gives the same record and summary row run locally and over two agents', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-differential-'));
  const tasks = join(dir, 'tasks');
  mkdirSync(tasks);
  for (const kind of ['good', 'bad']) {
    for (const name of readdirSync(join(ROOT, 'test/corpus', kind)).filter((n) => n.endsWith('.txt'))) copyFileSync(join(ROOT, 'test/corpus', kind, name), join(tasks, `${kind}-${name}`));
  }
  const files = readdirSync(tasks).length;
  t.true(files > 40, `${files} files`);
  const localHome = join(dir, 'local');
  const fleetHome = join(dir, 'fleet');
  const local = await runParallelrBin(['-T', tasks, '-C', TEMPLATE, '-r', '-m', '4', '--results', join(dir, 'local.jsonl')], homeEnv(localHome));
  t.is(local.code, 1, local.err);
  for (const name of ['diff-a', 'diff-b']) fleet.workers.push(await startWorker(fleet.server.url, { name, pool: 'differential', max: 2, env: homeEnv(join(dir, name)) }));
  const dist = await runParallelrBin(['-T', tasks, '-C', TEMPLATE, '-r', '--nats', fleet.server.url, '--pool', 'differential', '--results', join(dir, 'fleet.jsonl')], homeEnv(fleetHome));
  t.is(dist.code, 1, dist.err);

  const l = outcomes(join(dir, 'local.jsonl'));
  const d = outcomes(join(dir, 'fleet.jsonl'));
  t.is(l.size, files);
  t.deepEqual([...d.keys()].sort(), [...l.keys()].sort());
  for (const [name, record] of l) t.deepEqual(d.get(name), record, name);
  // Both kinds are there: files that succeed, and files refused with their diagnostics.
  t.true([...l.values()].some((r) => r.status === 'SUCCESS'));
  t.true([...l.values()].some((r) => r.exit_code === 20 && /^Exit code 20: \S+\/tasks\/bad-\S+\.txt:\d+:\d+: error\[/.test(r.error_message ?? '')));

  const ls = summaryRows(localHome);
  const ds = summaryRows(fleetHome);
  t.is(ls.size, files);
  for (const [name, row] of ls) t.deepEqual(ds.get(name), row, name);
  for (const w of fleet.workers.splice(0)) await w.stop();
});
