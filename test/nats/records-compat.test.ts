/**
 * Records back across versions (docs/nats.md "Records back"): a job from an older controller (no
 * `records_inline`) gets its records in chunks, the result naming them as before (no `inline`),
 * and that old-style result still lands and is purged; a job from this controller gets them inline.
 * A real nats-server, the real tasker bin started as a process with the records arguments
 * (the file path of ship-records.ts), the agent's shipping and the controller's landing code.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, encodeMessage, ensureRecordsStream, parseResult, RECORDS_STREAM, JOB_VERSION, type JobMessage, type ResultMessage } from '../../shared/nats/index.js';
import { attachRecords, planRecords } from '../../agent/nats/ship-records.js';
import { localPaths } from '../../controller/nats/local-paths.js';
import { buildArgv } from '../../agent/nats/run-job.js';
import { landRecords } from '../../controller/nats/land-records.js';
import { startNatsServer, type TestNatsServer } from '../helpers/nats-server.js';
import { ROOT } from './fleet.js';

const TASKER = join(ROOT, 'dist/controller/cli/tasker.cjs');
const FAIL = 'task=0\nhostname=localhost\ncommand=echo\narguments=first\nexec=local\n\ntask=1\nhostname=localhost\ncommand=sh\narguments=-c "exit 4"\nexec=local\n';

let server: TestNatsServer;
let nc: NatsConnection;
test.before(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'records-compat-test' });
  await ensureRecordsStream(await jetstreamManager(nc));
});
test.after.always(async () => {
  await nc?.close();
  await server?.dispose();
});

/** Run `job` as the agent does for a job started as a process, ship its records, and return the result as the controller parses it. */
async function runAndShip(t: ExecutionContext, job: JobMessage, root: string): Promise<{ result: ResultMessage; agentLog: string; stored: number }> {
  const agentHome = join(root, 'agent-home');
  const workspace = join(root, 'workspace');
  mkdirSync(agentHome);
  mkdirSync(workspace);
  const plan = planRecords(job, root)!;
  const taskPath = join(workspace, job.file_name);
  writeFileSync(taskPath, Buffer.from(job.content, 'base64'));
  const { argv } = buildArgv(plan.job.command, taskPath);
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: workspace, env: { ...process.env, HOME: agentHome, TASK_EXECUTOR_LOG: '' }, encoding: 'utf8' });
  t.is(r.status, 10, r.stderr);
  const now = new Date().toISOString();
  const result: ResultMessage = {
    v: JOB_VERSION, run_id: job.run_id, seq: job.seq, task_file: job.task_file, status: 'FAILED', exit_code: 10, start_time: now, end_time: now,
    duration_seconds: 0.1, agent: 'a1', worker: 1, command_executed: argv.join(' '), error_message: 'Exit code 10', stdout_tail: r.stdout, stderr_tail: r.stderr, delivery: 1,
  };
  await attachRecords(jetstream(nc), plan, result, nc.info!.max_payload);
  const parsed = parseResult(encodeMessage(result));
  if (!parsed.ok) throw new Error(parsed.error);
  const stored = (await (await jetstreamManager(nc)).streams.info(RECORDS_STREAM)).state.messages;
  const logs = join(agentHome, 'TASKER', 'logs');
  const agentLog = readFileSync(join(logs, readdirSync(logs).find((n) => n.startsWith('fail_'))!), 'utf8');
  t.deepEqual(readdirSync(root).sort(), ['agent-home', 'workspace'], 'the records directory is removed');
  return { result: parsed.value, agentLog, stored };
}

function job(runId: string, extra: Partial<JobMessage>): JobMessage {
  return {
    v: JOB_VERSION, run_id: runId, seq: 1, task_file: '/tasks/fail.txt', file_name: 'fail.txt', content: Buffer.from(FAIL).toString('base64'),
    command: `node ${TASKER} -r @TASK@ -p proj`, timeout_sec: 60, output_tail: 1000, ...extra,
  };
}

async function landAndCheck(t: ExecutionContext, result: ResultMessage, agentLog: string, root: string): Promise<void> {
  const base = join(root, 'controller');
  const landed = await landRecords(await jetstreamManager(nc), result, localPaths(`node ${TASKER} -r @TASK@ -p proj`, base, join(root, 'workspace')), '/tasks/fail.txt');
  t.like(landed, { failedTask: '1', taskExitCode: 4 });
  t.is(landed.note, undefined);
  t.is(readFileSync(landed.logFile!, 'utf8'), agentLog);
  t.false(result.command_executed.includes('--output-json'));
  const row = readFileSync(join(base, 'logs', 'project_proj_summary.log'), 'utf8').split('\n')[1]!.split('\t');
  t.deepEqual([row[1], row[2], row[5], row[6], row[7]], ['/tasks/fail.txt', '1', '10', 'FAILURE', landed.logFile]);
  t.is((await (await jetstreamManager(nc)).streams.info(RECORDS_STREAM)).state.messages, 0, 'nothing left in the store');
}

test.serial('a job from an older controller (no records_inline) ships in chunks, and that old-style result lands and is purged', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tasker-records-compat-'));
  const { result, agentLog, stored } = await runAndShip(t, job('compat-old', { records_cap: 1024 * 1024 }), root);
  t.is(result.records!.inline, undefined);
  t.true(result.records!.chunks >= 1);
  t.is(stored, result.records!.chunks);
  t.deepEqual(result.records!.files.map((f) => f.path.replace(/_\d{8}_\d{6}_\d{3}(?:_\d+)?/, '_TS')), ['logs/fail_TS.log', 'tasks/fail_TS.txt', 'logs/project_proj_summary.log', 'result.json']);
  await landAndCheck(t, result, agentLog, root);
});

test.serial('a job from this controller (records_inline) ships its small bundle inline: nothing stored', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tasker-records-compat-'));
  const { result, agentLog, stored } = await runAndShip(t, job('compat-new', { records_inline: true }), root);
  t.is(result.records!.chunks, 0);
  t.truthy(result.records!.inline);
  t.is(stored, 0);
  await landAndCheck(t, result, agentLog, root);
});
