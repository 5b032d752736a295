/**
 * A template's own `--output-json` in a distributed run (docs/nats.md "Records back"): the agent's
 * `--output-json` supersedes it there, so each file's document comes back with its records and is
 * written on the controller where a local run of the same template writes it — BASE/output for
 * `--output-json` alone, the named path (relative to parallelr's workspace) otherwise — naming
 * the controller's paths. Its `--recovery-file` is where the controller keeps the state. Real
 * nats-server, real agent processes, the built bins.
 */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../core/run/index.js';
import { ROOT, readResults, runParallelrBin, startWorker, taskerHomeEnv, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);
const TASKER = join(ROOT, 'dist/controller/cli/tasker.cjs');

function taskDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-own-json-'));
  writeFileSync(join(dir, 'ok.txt'), 'task=0\nhostname=localhost\ncommand=echo\narguments=hello\nexec=local\n');
  writeFileSync(join(dir, 'fail.txt'), 'task=0\nhostname=localhost\ncommand=sh\narguments=-c "exit 3"\nexec=local\n');
  return dir;
}

/** The documents under HOME/TASKER/output, by task file name. */
function outputDocs(home: string): Map<string, RunResult> {
  const dir = join(home, 'TASKER', 'output');
  const docs = new Map<string, RunResult>();
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const doc = JSON.parse(readFileSync(join(dir, name), 'utf8')) as RunResult;
    docs.set(doc.workflow_metadata.task_file.split('/').pop()!, doc);
  }
  return docs;
}

/** What a document says apart from paths, times and ids. */
const gist = (d: RunResult) => ({ status: d.workflow_metadata.status, exit_code: d.workflow_metadata.exit_code, summary: d.execution_summary, tasks: Object.keys(d.task_results) });

test.serial('--output-json alone: each file\'s document lands in BASE/output as locally, naming the controller\'s task file, log and summary', async (t) => {
  const dir = taskDir();
  const template = `node ${TASKER} -r @TASK@ -p proj --output-json`;
  const localHome = mkdtempSync(join(tmpdir(), 'tasker-own-json-local-'));
  const fleetHome = mkdtempSync(join(tmpdir(), 'tasker-own-json-fleet-'));
  const local = await runParallelrBin(['-T', dir, '-C', template, '-r'], taskerHomeEnv(localHome));
  t.is(local.code, 1, local.err + local.out);
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'oj-a', pool: 'own-json', max: 2 }));
  const dist = await runParallelrBin(['-T', dir, '-C', template, '-r', '--nats', fleet.server.url, '--pool', 'own-json', '--results', join(fleetHome, 'results.jsonl')], taskerHomeEnv(fleetHome));
  t.is(dist.code, 1, dist.err + dist.out);

  const l = outputDocs(localHome);
  const d = outputDocs(fleetHome);
  t.deepEqual([...d.keys()].sort(), ['fail.txt', 'ok.txt']);
  t.deepEqual([...l.keys()].sort(), ['fail.txt', 'ok.txt']);
  const rows = readResults(join(fleetHome, 'results.jsonl'));
  for (const name of ['ok.txt', 'fail.txt']) {
    const doc = d.get(name)!;
    t.deepEqual(gist(doc), gist(l.get(name)!), name);
    t.is(doc.workflow_metadata.task_file, join(dir, name));
    const row = rows.find((r) => r.task_file === join(dir, name))!;
    t.is(doc.workflow_metadata.log_file, row.log_file ?? null, 'the log landed on this side');
    t.true(existsSync(doc.workflow_metadata.log_file!));
    t.is(doc.workflow_metadata.summary_file, join(fleetHome, 'TASKER', 'logs', 'project_proj_summary.log'));
    t.regex(readdirSync(join(fleetHome, 'TASKER', 'output')).find((n) => n.startsWith(name.replace('.txt', '_'))) ?? '', /^(ok|fail)_\d{8}_\d{6}_\d{3}\.json$/);
  }
  for (const w of fleet.workers.splice(0)) await w.stop();
});

test.serial('--output-json FILE relative and --recovery-file FILE: written under parallelr\'s workspace on the controller, as a local run writes them', async (t) => {
  const dir = taskDir();
  const home = mkdtempSync(join(tmpdir(), 'tasker-own-json-named-'));
  const workspace = join(home, 'parallelr', 'workspace');
  const template = `node ${TASKER} -r --auto-recovery --recovery-file state/fail.recovery.json @TASK@ --output-json docs/last.json`;
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'oj-b', pool: 'own-json-named', max: 1 }));
  const onlyFail = mkdtempSync(join(tmpdir(), 'tasker-own-json-one-'));
  writeFileSync(join(onlyFail, 'fail.txt'), readFileSync(join(dir, 'fail.txt')));
  const dist = await runParallelrBin(['-T', onlyFail, '-C', template, '-r', '--nats', fleet.server.url, '--pool', 'own-json-named'], taskerHomeEnv(home));
  t.is(dist.code, 1, dist.err + dist.out);
  const doc = JSON.parse(readFileSync(join(workspace, 'docs', 'last.json'), 'utf8')) as RunResult;
  t.like(doc.workflow_metadata, { task_file: join(onlyFail, 'fail.txt'), status: 'failed', exit_code: 10, recovery_file: join(workspace, 'state', 'fail.recovery.json') });
  const state = JSON.parse(readFileSync(join(workspace, 'state', 'fail.recovery.json'), 'utf8')) as { task_file_path: string };
  t.is(state.task_file_path, join(onlyFail, 'fail.txt'), 'the state is kept where the template says, naming this side\'s file');
  t.false(existsSync(join(home, 'TASKER', 'recovery')) && readdirSync(join(home, 'TASKER', 'recovery')).length > 0, 'not under BASE/recovery');
  // A local run of the same template writes both at the same places under its own workspace.
  const localHome = mkdtempSync(join(tmpdir(), 'tasker-own-json-named-local-'));
  const local = await runParallelrBin(['-T', onlyFail, '-C', template, '-r'], taskerHomeEnv(localHome));
  t.is(local.code, 1, local.err + local.out);
  const localWorkspace = join(localHome, 'parallelr', 'workspace');
  t.true(existsSync(join(localWorkspace, 'docs', 'last.json')));
  t.true(existsSync(join(localWorkspace, 'state', 'fail.recovery.json')));
  for (const w of fleet.workers.splice(0)) await w.stop();
});

/** Every file under `dir`, relative, with `pid<N>_` made `pid_` (the two runs' parallelr pids differ). */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => f.replace(/^pid\d+_/, 'pid_').replace(/_\d{8}_\d{6}(_\d{3})?\./, '_TS.'))
    .sort();
}

test.serial('workspace_isolation: a template\'s relative -l, --output-json FILE and --recovery-file land in each file\'s own pid<PID>_task<N> directory, as locally', async (t) => {
  const dir = taskDir();
  const template = `node ${TASKER} -r -l logs --auto-recovery --recovery-file state.json @TASK@ -p proj --output-json doc.json`;
  const isolated = (home: string) => {
    mkdirSync(join(home, 'parallelr', 'cfg'), { recursive: true });
    writeFileSync(join(home, 'parallelr', 'cfg', 'parallelr.yaml'), 'execution:\n  workspace_isolation: true\n');
    return taskerHomeEnv(home);
  };
  const localHome = mkdtempSync(join(tmpdir(), 'tasker-own-json-iso-local-'));
  const local = await runParallelrBin(['-T', dir, '-C', template, '-r'], isolated(localHome));
  t.is(local.code, 1, local.err + local.out);
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'oj-c', pool: 'own-json-iso', max: 2 }));
  const fleetHome = mkdtempSync(join(tmpdir(), 'tasker-own-json-iso-fleet-'));
  const dist = await runParallelrBin(['-T', dir, '-C', template, '-r', '--nats', fleet.server.url, '--pool', 'own-json-iso'], isolated(fleetHome));
  t.is(dist.code, 1, dist.err + dist.out);

  const localFiles = filesUnder(join(localHome, 'parallelr', 'workspace'));
  t.deepEqual(filesUnder(join(fleetHome, 'parallelr', 'workspace')), localFiles);
  // Both files' logs, summaries and documents, each in its own directory; the failed file's state too.
  for (const seq of [1, 2]) {
    t.true(localFiles.includes(`pid_task${seq}/doc.json`), localFiles.join(' '));
    t.true(localFiles.includes(`pid_task${seq}/logs/logs/project_proj_summary.log`), localFiles.join(' '));
  }
  t.is(localFiles.filter((f) => f.endsWith('/state.json')).length, 1);
  const workspace = join(fleetHome, 'parallelr', 'workspace');
  for (const taskDir of readdirSync(workspace)) {
    const doc = JSON.parse(readFileSync(join(workspace, taskDir, 'doc.json'), 'utf8')) as RunResult;
    t.true(doc.workflow_metadata.log_file!.startsWith(join(workspace, taskDir, 'logs') + '/'), 'the document names the log landed beside it');
    t.true(existsSync(doc.workflow_metadata.log_file!));
  }
  for (const w of fleet.workers.splice(0)) await w.stop();
});
