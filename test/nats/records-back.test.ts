/**
 * Full records back (docs/nats.md "Records back"): a distributed run of a directory of tasker files
 * leaves on the controller what a local parallelr run of the same directory leaves — per-file
 * tasker logs, `-p` summary rows, results rows with the log path and the failing task's own exit
 * code, the task output file, a main log — with a real nats-server and real agent workers. Paths,
 * times and durations aside, they are compared field by field.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { connectNats, RECORDS_STREAM } from '../../shared/nats/index.js';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import { schemaErrors } from '../helpers/json-schema.js';
import { resumeDistributed } from '../../controller/nats/run-distributed.js';
import { CONTROLLER_MAIN, ROOT, readResults, recordingIo, runParallelrBin, startWorker, useNatsFleet, waitFor, taskerHomeEnv } from './fleet.js';

const fleet = useNatsFleet(test);
const TASKER = join(ROOT, 'dist/controller/cli/tasker.cjs');
const TEMPLATE = `node ${TASKER} -r @TASK@ -p proj`;

const FILES: Record<string, string> = {
  'ok.txt': 'task=0\nhostname=localhost\ncommand=echo\narguments=hello ok\nexec=local\n',
  'fail.txt': 'task=0\nhostname=localhost\ncommand=echo\narguments=first\nexec=local\n\ntask=1\nhostname=localhost\ncommand=sh\narguments=-c "echo oops >&2; exit 3"\nexec=local\n',
  'secret.txt': 'DB_PASSWORD=hunter2secret\ntask=0\nhostname=localhost\ncommand=echo\narguments=pw=@DB_PASSWORD@\nexec=local\n',
  // Its log (~270 KB) spans several 128 KiB messages.
  'lines.txt': 'task=0\nhostname=localhost\ncommand=seq\narguments=1 40000\nexec=local\n',
  'routed.txt': 'task=0\nhostname=localhost\ncommand=sh\narguments=-c "exit 4"\nexec=local\non_failure=2\n\ntask=2\nhostname=localhost\ncommand=echo\narguments=recovered\nexec=local\n',
};

function taskDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-records-tasks-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

/** A tasker log without what differs by machine and moment: times, directories, generated names. */
function normaliseLog(text: string): string {
  return text
    .replace(/\d\d[A-Z][a-z]{2}\d\d \d\d:\d\d:\d\d/g, 'TIME')
    .replace(/JSON result written to \S+/g, 'JSON result written to JSON')
    .replace(/(?:\/[^\s/]+)+\/([^\s/]+)/g, '$1')
    .replace(/_\d{8}_\d{6}_\d{3}(?:_\d+)?/g, '_TS');
}

/** The one log under HOME/TASKER/logs whose name starts with `stem_`. */
function logOf(home: string, stem: string): string {
  const dir = join(home, 'TASKER', 'logs');
  const names = readdirSync(dir).filter((n) => n.startsWith(`${stem}_`) && n.endsWith('.log'));
  if (names.length !== 1) throw new Error(`expected one log for ${stem} in ${dir}, got ${names.join(', ')}`);
  return join(dir, names[0]!);
}

function summaryRows(home: string): Map<string, string[]> {
  const text = readFileSync(join(home, 'TASKER', 'logs', 'project_proj_summary.log'), 'utf8');
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) if (line && !line.startsWith('#')) rows.set(basename(line.split('\t')[1]!), line.split('\t'));
  return rows;
}

function byFile(records: TaskRecord[]): Map<string, TaskRecord> {
  return new Map(records.map((r) => [basename(r.task_file ?? ''), r]));
}

async function recordsStreamMessages(url: string): Promise<number> {
  const nc = await connectNats({ servers: url, name: 'records-test' });
  try {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(RECORDS_STREAM)).state.messages;
  } finally {
    await nc.close();
  }
}

test.serial('a distributed run of tasker files leaves the same records as a local run (paths and times aside)', async (t) => {
  const dir = taskDir(FILES);
  const localHome = mkdtempSync(join(tmpdir(), 'tasker-records-local-'));
  const fleetHome = mkdtempSync(join(tmpdir(), 'tasker-records-fleet-'));
  const local = await runParallelrBin(['-T', dir, '-C', TEMPLATE, '-r', '--log-task-output', '--results', join(localHome, 'results.jsonl')], taskerHomeEnv(localHome));
  t.is(local.code, 1, local.err + local.out);

  const workdir = mkdtempSync(join(tmpdir(), 'tasker-records-agent-'));
  for (const name of ['rec-a', 'rec-b']) fleet.workers.push(await startWorker(fleet.server.url, { name, pool: 'records', max: 2, workdir }));
  const dist = await runParallelrBin(
    ['-T', dir, '-C', TEMPLATE, '-r', '--log-task-output', '--nats', fleet.server.url, '--pool', 'records', '--results', join(fleetHome, 'results.jsonl')],
    taskerHomeEnv(fleetHome),
  );
  t.is(dist.code, 1, dist.err + dist.out);

  // Results rows: the same outcome fields, the failing task's own exit code, a log path on this side.
  const lr = byFile(readResults(join(localHome, 'results.jsonl')));
  const dr = byFile(readResults(join(fleetHome, 'results.jsonl')));
  t.deepEqual([...dr.keys()].sort(), Object.keys(FILES).sort());
  for (const name of Object.keys(FILES)) {
    const a = lr.get(name)!;
    const b = dr.get(name)!;
    const fields = (r: TaskRecord) => ({ status: r.status, exit_code: r.exit_code, error_message: r.error_message, failed_task: r.failed_task, task_exit_code: r.task_exit_code, records_note: r.records_note });
    t.deepEqual(fields(b), fields(a), name);
    t.is(b.log_file, logOf(fleetHome, name.replace('.txt', '')), name);
    t.is(a.log_file, logOf(localHome, name.replace('.txt', '')), name);
    t.regex(b.start_time ?? '', /Z$/);
    t.regex(b.end_time ?? '', /Z$/);
    // The file's own times, as a local record's (agents just started: the engine's first load is not the file's).
    const span = (Date.parse(b.end_time!) - Date.parse(b.start_time!)) / 1000;
    t.true(Math.abs(span - b.duration_seconds) <= 0.01, `${name}: ${b.start_time} to ${b.end_time} is ${span} s, recorded ${b.duration_seconds} s`);
    t.true(b.agent === 'rec-a' || b.agent === 'rec-b');
    t.false(b.command.includes('--output-json'), b.command);
    t.deepEqual(schemaErrors('parallelr-result', b), [], name);
  }
  t.regex(readFileSync(dr.get('fail.txt')!.log_file!, 'utf8'), /Task 1: Exit code: 3\n/);
  t.true(statSync(dr.get('lines.txt')!.log_file!).size > 2 * 128 * 1024);
  t.like(dr.get('fail.txt'), { exit_code: 10, failed_task: '1', task_exit_code: 3, error_message: 'Exit code 10: task 1 exited 3' });

  // Per-file tasker logs: the same lines once times and directories are taken out; secrets masked.
  for (const name of Object.keys(FILES)) {
    const stem = name.replace('.txt', '');
    const a = readFileSync(logOf(localHome, stem), 'utf8');
    const b = readFileSync(logOf(fleetHome, stem), 'utf8');
    t.is(normaliseLog(b), normaliseLog(a), name);
    t.regex(normaliseLog(b), /^=== Task Execution Start: TIME ===\n# Task file: \w+\.txt\n[\s\S]*Task 0: Exit code: \d\n[\s\S]*=== Task Execution End: TIME ===\n$/, name);
    t.false(b.includes('hunter2secret'), name);
    t.true(existsSync(join(fleetHome, 'TASKER', 'tasks', basename(logOf(fleetHome, stem)).replace(/\.log$/, '.txt'))), `${name}: task copy`);
  }

  // -p summary rows: the same columns, the log column naming the log written on this side.
  const ls = summaryRows(localHome);
  const ds = summaryRows(fleetHome);
  t.is(ds.size, Object.keys(FILES).length);
  for (const name of Object.keys(FILES)) {
    t.deepEqual(ds.get(name)!.slice(1, 7), ls.get(name)!.slice(1, 7), name);
    t.is(ds.get(name)![7], dr.get(name)!.log_file, name);
  }

  // --log-task-output and the main log.
  const output = readFileSync(join(fleetHome, 'parallelr', 'logs', readdirSync(join(fleetHome, 'parallelr', 'logs')).find((n) => n.endsWith('_output.txt'))!), 'utf8');
  t.is(output.split('='.repeat(80)).length - 1, Object.keys(FILES).length);
  t.regex(output, /Task: \S+fail\.txt[\s\S]*?Status: FAILED\n {2}Exit Code: 10\n/);
  t.regex(output, /Task 1: Exit code: 3/);
  const mainLog = readFileSync(join(fleetHome, 'parallelr', 'logs', readdirSync(join(fleetHome, 'parallelr', 'logs')).find((n) => /^parallelr_.+\.log$/.test(n))!), 'utf8');
  t.regex(mainLog, /ERROR - Worker rec-[ab]#\d \[\d\/5\]: FAILED exit code 10, [\d.]+s \(Exit code 10: task 1 exited 3\): \S+fail\.txt log \S+fail_\S+\.log\n/);
  const localMain = readFileSync(join(localHome, 'parallelr', 'logs', readdirSync(join(localHome, 'parallelr', 'logs')).find((n) => /^parallelr_[^_]+_[^.]+\.log$/.test(n))!), 'utf8');
  t.regex(localMain, /ERROR - Worker \d \[\d\/5\]: FAILED exit code 10, [\d.]+s \(Exit code 10: task 1 exited 3\): \S+fail\.txt log \S+fail_\S+\.log\n/);
  t.regex(dist.out, /- Main Log: \S+parallelr_\S+\.log\n- Results: .*\n- Output: \S+_output\.txt/);

  // Paths (docs/nats.md "Paths in landed records"): every pointer on the controller names a file
  // written here; the agent's workspace shows only in `command` (the argv the agent ran) and in the
  // landed log's own text.
  const onAgent = (text: string) => text.includes(workdir);
  for (const rec of dr.values()) {
    t.false(onAgent(JSON.stringify({ ...rec, command: '' })), JSON.stringify(rec));
    t.true(onAgent(rec.command), rec.command);
    t.true(rec.log_file!.startsWith(join(fleetHome, 'TASKER', 'logs')) && existsSync(rec.log_file!), rec.log_file);
  }
  for (const row of ds.values()) t.false(onAgent(row.join('\t')), row.join('\t'));
  t.false(onAgent(mainLog));
  // The task output's blocks name the controller's files; their Command and output tails are the agent's text.
  const taskLines = output.split('\n').filter((l) => l.startsWith('Task: '));
  t.deepEqual(taskLines.map((l) => basename(l.slice('Task: '.length))).sort(), Object.keys(FILES).sort());
  t.true(taskLines.every((l) => l.startsWith(`Task: ${dir}/`)), taskLines.join('\n'));
  t.true(onAgent(readFileSync(dr.get('ok.txt')!.log_file!, 'utf8')), "the landed log's text names the agent's paths");

  // The input backup: the same task files, byte for byte, and a session.json naming the run.
  const backupOf = (home: string) => {
    const root = join(home, 'parallelr', 'backups');
    const dirs = readdirSync(root);
    if (dirs.length !== 1) throw new Error(`expected one backup in ${root}, got ${dirs.join(', ')}`);
    return join(root, dirs[0]!);
  };
  const lb = backupOf(localHome);
  const db = backupOf(fleetHome);
  t.deepEqual(readdirSync(join(db, 'tasks')).sort(), readdirSync(join(lb, 'tasks')).sort());
  for (const name of Object.keys(FILES)) t.is(readFileSync(join(db, 'tasks', name), 'utf8'), FILES[name], name);
  const session = JSON.parse(readFileSync(join(db, 'session.json'), 'utf8')) as Record<string, unknown>;
  t.like(session, { command_template: TEMPLATE, tasks: Object.keys(FILES).length, results: join(fleetHome, 'results.jsonl'), nats: { pool: 'records' } });
  t.is(db, join(fleetHome, 'parallelr', 'backups', `parallelr_${String(session.run_id)}`));
  t.true(dist.out.includes(`Input backup: ${db}\n`), dist.out);
  t.regex(mainLog, new RegExp(`INFO - Input backup: ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));

  // The stored chunks were dropped once written.
  t.is(await recordsStreamMessages(fleet.server.url), 0);
  for (const w of fleet.workers.splice(0)) await w.stop();
});

test.serial('a task file the agent refuses gives the reason a local run gives: its first diagnostic, naming the operator\'s file (not the agent\'s copy)', async (t) => {
  // Twelve refused jumps: far more diagnostics than the result's output tail holds (1,000 characters).
  const bad = Array.from({ length: 12 }, (_, i) => `task=${i}\nhostname=localhost\ncommand=echo\nexec=local\non_failure=${90 + i}\n`).join('\n');
  const dir = taskDir({ 'bad.txt': bad });
  const localHome = mkdtempSync(join(tmpdir(), 'tasker-records-badlocal-'));
  const fleetHome = mkdtempSync(join(tmpdir(), 'tasker-records-badfleet-'));
  const local = await runParallelrBin(['-T', dir, '-C', TEMPLATE, '-r', '--results', join(localHome, 'results.jsonl')], taskerHomeEnv(localHome));
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'rec-bad', pool: 'records-bad', max: 1 }));
  const dist = await runParallelrBin(['-T', dir, '-C', TEMPLATE, '-r', '--nats', fleet.server.url, '--pool', 'records-bad', '--results', join(fleetHome, 'results.jsonl')], taskerHomeEnv(fleetHome));
  t.is(dist.code, 1, dist.err + dist.out);
  const [l] = readResults(join(localHome, 'results.jsonl'));
  const [d] = readResults(join(fleetHome, 'results.jsonl'));
  const where = `${join(dir, 'bad.txt')}:5:12: error[UNDEFINED_TARGET] task 0: on_failure=90`;
  t.true(l!.error_message.startsWith(`Exit code 20: ${where}`), l!.error_message);
  t.is(d!.error_message, l!.error_message);
  t.is(d!.exit_code, l!.exit_code);
  // Refused before it ran, it has no log, and still its -p summary row (its time aside), as locally.
  const row = (home: string) => summaryRows(home).get('bad.txt')?.slice(1);
  t.deepEqual(row(fleetHome), row(localHome));
  t.is(row(fleetHome)?.at(-1), '-');
  // The same with the file started as a process on the agent.
  const procHome = mkdtempSync(join(tmpdir(), 'tasker-records-badproc-'));
  const proc = await runParallelrBin(['-T', dir, '-C', TEMPLATE, '-r', '--no-in-process', '--nats', fleet.server.url, '--pool', 'records-bad', '--results', join(procHome, 'results.jsonl')], taskerHomeEnv(procHome));
  t.is(proc.code, 1, proc.err + proc.out);
  t.is(readResults(join(procHome, 'results.jsonl'))[0]!.error_message, l!.error_message);
  t.deepEqual(row(procHome), row(localHome), 'its -p row too (found through the JSON, which names the summary)');
  for (const w of fleet.workers.splice(0)) await w.stop();
});

test.serial('--no-backup-inputs: a distributed run makes no input backup, as a local run makes none', async (t) => {
  const dir = taskDir({ 'ok.txt': FILES['ok.txt']! });
  const home = mkdtempSync(join(tmpdir(), 'tasker-records-nobackup-'));
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'rec-nb', pool: 'records-nb', max: 1 }));
  const run = await runParallelrBin(['-T', dir, '-C', TEMPLATE, '-r', '--no-backup-inputs', '--nats', fleet.server.url, '--pool', 'records-nb'], taskerHomeEnv(home));
  t.is(run.code, 0, run.err + run.out);
  t.false(existsSync(join(home, 'parallelr', 'backups')));
  t.false(run.out.includes('Input backup'), run.out);
  for (const w of fleet.workers.splice(0)) await w.stop();
});

test.serial('an input backup that cannot be made is a warning: the distributed run goes on and completes', async (t) => {
  const dir = taskDir({ 'ok.txt': FILES['ok.txt']! });
  const home = mkdtempSync(join(tmpdir(), 'tasker-records-badbackup-'));
  mkdirSync(join(home, 'parallelr'));
  writeFileSync(join(home, 'parallelr', 'backups'), 'a file where the backups directory goes\n');
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'rec-bb', pool: 'records-bb', max: 1 }));
  const run = await runParallelrBin(['-T', dir, '-C', TEMPLATE, '-r', '--nats', fleet.server.url, '--pool', 'records-bb', '--results', join(home, 'results.jsonl')], taskerHomeEnv(home));
  t.is(run.code, 0, run.err + run.out);
  t.regex(run.err, /parallelr: warning: input backup failed \(the run continues\): /);
  t.false(run.out.includes('Input backup'), run.out);
  t.deepEqual(readResults(join(home, 'results.jsonl')).map((r) => r.status), ['SUCCESS']);
  for (const w of fleet.workers.splice(0)) await w.stop();
});

test.serial('a log above the records cap comes back as its first and last halves with a note, in the record too', async (t) => {
  const big = 'task=0\nhostname=localhost\ncommand=seq\narguments=1 60000\nexec=local\n\ntask=1\nhostname=localhost\ncommand=sh\narguments=-c "exit 5"\nexec=local\n';
  const dir = taskDir({ 'big.txt': big });
  const home = mkdtempSync(join(tmpdir(), 'tasker-records-cap-'));
  mkdirSync(join(home, 'agent'));
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'rec-cap', pool: 'records-cap', max: 1, workdir: join(home, 'agent') }));
  const r = await runParallelrBin(
    ['-T', dir, '-C', TEMPLATE, '-r', '--nats', fleet.server.url, '--pool', 'records-cap', '--results', join(home, 'results.jsonl')],
    { ...taskerHomeEnv(home), TASKER_NATS_RECORDS_MAX_MB: '0.05' },
  );
  t.is(r.code, 1, r.err + r.out);
  const [rec] = readResults(join(home, 'results.jsonl'));
  const cap = Math.round(0.05 * 1024 * 1024);
  const log = rec!.log_file!;
  const text = readFileSync(log, 'utf8');
  t.true(statSync(log).size <= cap + 400, `landed log ${statSync(log).size} bytes`);
  t.true(text.startsWith('=== Task Execution Start'));
  t.regex(text, /=== Task Execution End: .*===\n$/);
  t.regex(text, /\n\[tasker-agent: \d+ bytes of this file omitted here: it has \d+ bytes, above the 52429-byte records cap \(nats\.records_max_mb\)\]\n/);
  t.regex(rec!.records_note ?? '', /logs\/big_\S+\.log capped: \d+ bytes on the agent, its first and last halves kept/);
  // The JSON (it holds the first 100 KiB of stdout) is above the cap: not shipped, and said so.
  t.regex(rec!.records_note ?? '', /result\.json not shipped: \d+ bytes, above the 52429-byte cap/);
  // Without the JSON, the failing task and its code come from what tasker printed (the output tail).
  t.like(rec, { status: 'FAILED', exit_code: 10 });
  t.regex(rec!.error_message, /^Exit code 10: task \d+ exited \d+$/);
  t.is(rec!.task_exit_code, Number(/exited (\d+)$/.exec(rec!.error_message)![1]));
  t.is(await recordsStreamMessages(fleet.server.url), 0);
});

test.serial('a task file stopped by the parallelr timeout on an agent still brings its log back, and the store is left empty', async (t) => {
  const dir = taskDir({ 'slow.txt': 'task=0\nhostname=localhost\ncommand=sleep\narguments=30\nexec=local\ntimeout=60\n' });
  const home = mkdtempSync(join(tmpdir(), 'tasker-records-timeout-'));
  mkdirSync(join(home, 'agent'));
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'rec-slow', pool: 'records-slow', max: 1, workdir: join(home, 'agent') }));
  const r = await runParallelrBin(['-T', dir, '-C', TEMPLATE, '-r', '-t', '2', '--nats', fleet.server.url, '--pool', 'records-slow', '--results', join(home, 'results.jsonl')], taskerHomeEnv(home));
  t.is(r.code, 1, r.err + r.out);
  const [rec] = readResults(join(home, 'results.jsonl'));
  t.like(rec, { status: 'TIMEOUT', failed_task: '0' });
  // tasker's own kill of its task: SIGTERM, or SIGKILL after its grace on a busy machine.
  t.true(rec!.task_exit_code === 143 || rec!.task_exit_code === 137, String(rec!.task_exit_code));
  t.regex(readFileSync(rec!.log_file!, 'utf8'), /Task 0: Executing \[local\] on localhost: sleep 30\n[\s\S]*Interrupted by SIGTERM during task 0/);
  const row = summaryRows(home).get('slow.txt') ?? [];
  t.deepEqual([...row.slice(1, 5), ...row.slice(6)], [join(dir, 'slow.txt'), '0', 'localhost', 'sleep 30 [INTERRUPTED_SIGTERM]', 'FAILURE', rec!.log_file]);
  t.is(await recordsStreamMessages(fleet.server.url), 0);
  // The slot's reusable workspace (job-slotN-…) stays while the worker runs; the job's records directory is gone.
  t.deepEqual(readdirSync(join(home, 'agent')).filter((n) => !n.startsWith('job-slot')), [], 'the agent removed the records directory');
});

test.serial('a controller killed mid-run: --resume lands the records of the files that finished meanwhile, none twice', async (t) => {
  const pool = 'records-resume';
  for (const name of ['rec-r1', 'rec-r2']) fleet.workers.push(await startWorker(fleet.server.url, { name, pool, max: 2 }));
  const home = mkdtempSync(join(tmpdir(), 'tasker-records-resume-'));
  const files = Array.from({ length: 12 }, (_, i) => `t${String(i + 1).padStart(2, '0')}.txt`);
  const dir = taskDir(Object.fromEntries(files.map((f) => [f, 'task=0\nhostname=localhost\ncommand=sleep\narguments=0.3\nexec=local\n'])));
  const runId = 'records-resume-1';
  const resultsFile = join(home, 'results.jsonl');
  const stateDir = join(home, 'runs');
  const optionsFile = join(home, 'options.json');
  writeFileSync(optionsFile, JSON.stringify({
    files: files.map((f) => ({ taskFile: join(dir, f), path: join(dir, f) })), command: TEMPLATE, timeoutSeconds: 60, runId, resultsFile, stateDir,
    nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 },
  }));
  const controller = spawn(process.execPath, ['--import', 'tsx', CONTROLLER_MAIN, optionsFile], { env: { ...process.env, ...taskerHomeEnv(home) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  controller.stdout!.on('data', (d) => (out += d));
  const exited = new Promise((r) => controller.once('exit', r));
  await waitFor(() => (out.match(/ SUCCESS:/g) ?? []).length >= 3);
  controller.kill('SIGKILL');
  await exited;
  t.true(readResults(resultsFile).length < 12, 'killed before the end');

  const io = recordingIo(taskerHomeEnv(home));
  const r = await resumeDistributed({ runId, stateDir, nats: { ackWaitSec: 2 } }, io);
  t.is(r.exitCode, 0, io.err());
  const rows = readResults(resultsFile);
  t.deepEqual(rows.map((x) => basename(x.task_file ?? '')).sort(), files);
  const logs = rows.map((x) => x.log_file ?? '');
  t.true(logs.every((l) => l.startsWith(join(home, 'TASKER', 'logs')) && existsSync(l)), logs.join('\n'));
  t.is(new Set(logs).size, 12);
  t.is(await recordsStreamMessages(fleet.server.url), 0);
  for (const w of fleet.workers.splice(0)) await w.stop();
});
