/**
 * A cancelled distributed job is recorded as local parallelr records the same stop: the jobs running
 * when the run was stopped get the local exit code (130 after SIGINT, 143 after SIGTERM; after a
 * stop limit 143 in-process, 125 as a started process) and message, and a job that never started
 * keeps exit_code null. The same directory runs through the parallelr CLI locally, then with
 * `--nats` on a real worker process (2 slots, as local `-m 2`), with a real nats-server.
 */
import test, { type ExecutionContext } from 'ava';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { run } from '../../controller/parallelr/cli.js';
import { runDistributedCli } from '../../controller/nats/cli-entry.js';
import { resumeDistributed } from '../../controller/nats/run-distributed.js';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import { readResults, recordingIo, ROOT, startWorker, useNatsFleet, waitFor } from './fleet.js';

const fleet = useNatsFleet(test);
const TASKER_BIN = join(ROOT, 'dist/controller/cli/tasker.cjs');

type Stop = 'SIGINT' | 'SIGTERM' | 'stop limit';

/** Task files: `long*` run until stopped (touching marks/NAME once started), `fail*` fail quickly, `later` never gets a slot. */
function sandbox(stop: Stop) {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-cancel-'));
  const tasks = join(dir, 'tasks');
  const marks = join(dir, 'marks');
  mkdirSync(tasks);
  mkdirSync(marks);
  const started = join(dir, 'started.sh');
  writeFileSync(started, `#!/bin/sh\ntouch "${marks}/$1"\nexec sleep 60\n`);
  chmodSync(started, 0o755);
  const task = (command: string, args: string) => `task=0\nhostname=localhost\ncommand=${command}\narguments=${args}\nexec=local\n`;
  const files: Record<string, string> = stop === 'stop limit'
    ? { 'a-long.txt': task(started, 'a-long'), ...Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`b-fail${i}.txt`, task('sh', '-c "sleep 0.3; exit 3"')])) }
    : { 'a-long1.txt': task(started, 'a-long1'), 'a-long2.txt': task(started, 'a-long2'), 'c-later.txt': task('true', '') };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(tasks, name), text);
  const env = { HOME: join(dir, 'home'), PARALLELR_HOME: join(dir, 'parallelr'), PARALLELR_SYSTEM_CONFIG: join(dir, 'none.yaml'), TASKER_NATS_STATE_DIR: join(dir, 'runs') };
  return { dir, tasks, marks, env };
}

/** One run through the parallelr CLI (local, or with --nats); a signal stop aborts io.signal once both long tasks run. */
async function runOnce(sb: ReturnType<typeof sandbox>, stop: Stop, extra: string[], results: string): Promise<{ code: number; records: TaskRecord[]; out: string }> {
  rmSync(sb.marks, { recursive: true, force: true });
  mkdirSync(sb.marks);
  const ctl = new AbortController();
  const io = { ...recordingIo(sb.env, ctl.signal), cwd: sb.dir };
  const args = ['-T', sb.tasks, '-C', `${process.execPath} ${TASKER_BIN} -r @TASK@`, '-r', '-m', '2', '--results', results, ...extra];
  if (stop === 'stop limit') args.push('--enable-stop-limits');
  const running = run(args, io, { runDistributed: runDistributedCli });
  if (stop !== 'stop limit') {
    await waitFor(() => existsSync(join(sb.marks, 'a-long1')) && existsSync(join(sb.marks, 'a-long2')));
    ctl.abort(stop);
  }
  const code = await running;
  return { code, records: readResults(results), out: io.out() + io.err() };
}

const row = (r: TaskRecord) => ({ status: r.status, exit_code: r.exit_code, error_message: r.error_message, started: r.start_time !== null });

const sameAsLocal = test.macro({
  async exec(t, stop: Stop, mode: 'in-process' | 'process', expected: number) {
    const sb = sandbox(stop);
    const extra = mode === 'process' ? ['--no-in-process'] : [];
    const local = await runOnce(sb, stop, extra, join(sb.dir, 'local.jsonl'));
    const pool = `cancel-${stop.replace(' ', '-')}-${mode}`;
    const worker = await startWorker(fleet.server.url, { name: pool, pool, max: 2, env: sb.env });
    fleet.workers.push(worker);
    const dist = await runOnce(sb, stop, [...extra, '--nats', fleet.server.url, '--pool', pool], join(sb.dir, 'dist.jsonl'));
    t.is(dist.code, local.code, dist.out);
    const localRows = new Map(local.records.map((r) => [basename(r.task_file ?? ''), row(r)]));
    const distRows = new Map(dist.records.map((r) => [basename(r.task_file ?? ''), row(r)]));
    t.deepEqual([...distRows.keys()].sort(), [...localRows.keys()].sort());
    // The jobs running at the stop: the local exit code and message.
    const running = stop === 'stop limit' ? ['a-long.txt'] : ['a-long1.txt', 'a-long2.txt'];
    for (const name of running) {
      t.like(localRows.get(name), { status: 'CANCELLED', exit_code: expected, started: true }, `local ${name}`);
      t.deepEqual(distRows.get(name), localRows.get(name), name);
    }
    // A job that never started: null, as locally (after a stop limit a freed slot may or may not have taken one first).
    if (stop !== 'stop limit') t.deepEqual(distRows.get('c-later.txt'), localRows.get('c-later.txt'));
    for (const r of dist.records) if (r.status === 'CANCELLED') t.is(r.exit_code === null, r.start_time === null, `${basename(r.task_file ?? '')}: exit code null exactly when it never started`);
    await worker.stop();
  },
  title: (_, stop: Stop, mode: string, expected: number) => `cancelled by ${stop}, tasker ${mode}: the distributed rows match the local ones (running jobs exit ${expected}, unstarted null)`,
});

test.serial(sameAsLocal, 'SIGINT', 'in-process', 130);

/** A distributed run of the SIGINT sandbox on a worker of its own, interrupted by SIGINT (exit 130). */
async function interruptedRun(t: ExecutionContext, pool: string) {
  const sb = sandbox('SIGINT');
  const worker = await startWorker(fleet.server.url, { name: pool, pool, max: 2, env: sb.env });
  fleet.workers.push(worker);
  const results = join(sb.dir, 'dist.jsonl');
  const dist = await runOnce(sb, 'SIGINT', ['--nats', fleet.server.url, '--pool', pool], results);
  t.is(dist.code, 130, dist.out);
  return { sb, worker, results, dist, runId: dist.records[0]!.session_id };
}

test.serial('a controller that crashed while cancelling: --resume records the cancelled rows it would have, none twice', async (t) => {
  const { sb, worker, results, dist, runId } = await interruptedRun(t, 'cancel-resume');
  const stateDir = sb.env.TASKER_NATS_STATE_DIR;
  const statePath = join(stateDir, `${runId}.json`);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { status: string; cancelCause?: string };
  t.is(state.cancelCause, 'SIGINT');
  // As if it had crashed after the cancel, with one row written.
  writeFileSync(statePath, JSON.stringify({ ...state, status: 'cancelled' }));
  writeFileSync(results, `${readFileSync(results, 'utf8').split('\n')[0]}\n`);
  const io = recordingIo(sb.env);
  const r = await resumeDistributed({ runId, stateDir, cancelGraceMs: 2000 }, io);
  // The run's own exit code, as --resume of a finished run gives it (report-finished.ts): it was interrupted by SIGINT.
  t.is(r.exitCode, 130, io.out() + io.err());
  const byName = (records: TaskRecord[]) => records.map((x) => `${basename(x.task_file ?? '')} ${JSON.stringify(row(x))}`).sort();
  t.deepEqual(byName(readResults(results)), byName(dist.records));
  await worker.stop();
});
test.serial(sameAsLocal, 'SIGTERM', 'process', 143);
test.serial(sameAsLocal, 'stop limit', 'in-process', 143);
test.serial(sameAsLocal, 'stop limit', 'process', 125);

test.serial('--resume of a cancelled run that finished (a job never started, so it has no stored result): reports the results file at once, writes nothing', async (t) => {
  const { sb, worker, results, dist, runId } = await interruptedRun(t, 'cancel-done');
  t.true(dist.records.some((r) => r.status === 'CANCELLED' && r.start_time === null), 'one job never started');
  const before = readFileSync(results, 'utf8');
  const io = recordingIo(sb.env);
  const resumed = resumeDistributed({ runId, stateDir: sb.env.TASKER_NATS_STATE_DIR }, io);
  const r = await Promise.race([resumed, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000).unref())]);
  if (r === 'hung') return t.fail('--resume of a finished run is still waiting after 15 s');
  t.is(r.exitCode, 130, 'the finished run\'s own exit code (it was interrupted by SIGINT)');
  t.is(r.records.length, dist.records.length);
  t.regex(io.out(), /already finished; results in /);
  t.is(readFileSync(results, 'utf8'), before, 'nothing written again');
  await worker.stop();
});
