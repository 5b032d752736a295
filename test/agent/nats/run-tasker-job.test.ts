/**
 * Task files in-process on NATS agents (issue 14 item 1): a job whose command is tasker itself runs
 * the file with the engine inside the worker (no tasker process), with the statuses and exit codes
 * local parallelr gives for the same directory; a file that needs an agent falls back to the bin;
 * a cancelled run and a stopped worker leave no process behind; `--no-in-process` starts the bin.
 *
 * Real nats-server, real worker processes (2 × 2 slots), a real gRPC agent for the fallback. Proof
 * of in-process: each run's task walks its own ancestry through /proc; on the agent the chain runs
 * from the task to the worker process with no tasker process in between.
 */
import test from 'ava';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runDistributed } from '../../../controller/nats/run-distributed.js';
import { runDistributedCli } from '../../../controller/nats/cli-entry.js';
import { run } from '../../../controller/parallelr/cli.js';
import { alive, readResults, recordingIo, ROOT, startWorker, useNatsFleet, waitFor, type WorkerProcess } from '../../nats/fleet.js';
import { freshSocket, startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const fleet = useNatsFleet(test);
const TASKER_BIN = join(ROOT, 'dist/controller/cli/tasker.cjs');

let grpcAgent: AgentProcess;
test.before(async () => {
  grpcAgent = await startAgent(['--listen', await freshSocket()], { env: { AGENT_MARK: 'on-agent' } });
});
test.after.always(async () => {
  await grpcAgent?.stop();
});

/** A sandbox: HOME, the task directory, a tasker config naming the gRPC agent `jump1`, helper scripts. */
function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-inproc-'));
  const home = join(dir, 'home');
  const tasks = join(dir, 'tasks');
  const marks = join(dir, 'marks');
  for (const d of [home, tasks, marks]) mkdirSync(d);
  const config = join(dir, 'tasker.yaml');
  writeFileSync(config, `agents:\n  jump1:\n    address: "${grpcAgent.address}"\n`);
  // Writes "pid cmdline" of the task and each ancestor up to PID 1 into marks/ancestry-$MARK.
  const ancestry = join(dir, 'ancestry.sh');
  writeFileSync(ancestry, `#!/bin/sh\npwd > "${marks}/cwd-$MARK"\nout="${marks}/ancestry-$MARK"\n: > "$out"\np=$$\nwhile [ "$p" -gt 1 ]; do\n  echo "$p $(tr '\\0' ' ' < /proc/$p/cmdline)" >> "$out"\n  p=$(awk '/^PPid:/{print $2}' /proc/$p/status)\ndone\n`);
  // Records its own pid and a background child's in marks/$MARK.pid, then waits.
  const long = join(dir, 'long.sh');
  writeFileSync(long, `#!/bin/sh\necho $$ > "${marks}/$MARK.pid"\nsleep 300 &\necho $! >> "${marks}/$MARK.pid"\nwait\n`);
  chmodSync(ancestry, 0o755);
  chmodSync(long, 0o755);
  const env = { HOME: home, PARALLELR_HOME: join(home, 'parallelr'), PARALLELR_SYSTEM_CONFIG: join(dir, 'none.yaml'), AGENT_MARK: '' };
  return { dir, home, tasks, marks, config, ancestry, long, env, command: `${process.execPath} ${TASKER_BIN} -r --config ${config} @TASK@` };
}

const local = (command: string, args = '', extra = '') => `task=0\nhostname=localhost\ncommand=${command}\narguments=${args}\nexec=local\n${extra}`;

/** The directory both modes run: one file per outcome. */
function writeTaskDir(sb: ReturnType<typeof sandbox>): void {
  const files: Record<string, string> = {
    'ok.txt': local(sb.ancestry),
    'fail.txt': local('false'),
    'fail7.txt': local('false', '', 'on_failure=9\n\ntask=9\nreturn=7\n'),
    'timeout.txt': local('sleep', '60'),
    'invalid.txt': local('echo', 'x', 'success=stdot~ok\n'),
    'flow.txt': [
      'GREETING=hi', '',
      'task=0', 'hostname=localhost', 'command=echo', 'arguments=round', 'exec=local', 'next=loop', 'loop=3', '',
      'task=1', 'hostname=localhost', 'command=echo', 'arguments=got @0_stdout@ @GREETING@', 'exec=local', 'success=stdout~round', '',
      'task=2', 'condition=@1_exit@!=0', 'hostname=localhost', 'command=false', 'exec=local', '',
      'task=3', 'hostname=localhost', 'command=sh', 'arguments=-c "exit 3"', 'exec=local', 'on_failure=9', '',
      'task=9', 'return=5', '',
    ].join('\n'),
    // Runs on the gRPC agent jump1 (it prints on-agent there): only the tasker bin can place it.
    'agent.txt': local('printenv', 'AGENT_MARK', 'agent=jump1\nsuccess=stdout~on-agent\n'),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(sb.tasks, name), text);
}

const EXPECTED = [
  'agent.txt SUCCESS 0',
  'fail.txt FAILED 10',
  'fail7.txt FAILED 7',
  'flow.txt FAILED 5',
  'invalid.txt FAILED 20',
  'ok.txt SUCCESS 0',
  'timeout.txt TIMEOUT 124',
];

const outcomes = (records: { task_file: string | null; status: string; exit_code: number | null }[]) =>
  records.map((r) => `${basename(r.task_file ?? '')} ${r.status} ${r.exit_code}`).sort();

/** The ancestry lines a task wrote: `pid cmdline`, the task first. */
function ancestry(sb: ReturnType<typeof sandbox>, mark: string): { pid: number; cmd: string }[] {
  return readFileSync(join(sb.marks, `ancestry-${mark}`), 'utf8').trimEnd().split('\n').map((l) => {
    const i = l.indexOf(' ');
    return { pid: Number(l.slice(0, i)), cmd: l.slice(i + 1) };
  });
}

async function startWorkers(sb: ReturnType<typeof sandbox>, pool: string, n = 2): Promise<WorkerProcess[]> {
  const started: WorkerProcess[] = [];
  for (let i = 1; i <= n; i++) {
    const w = await startWorker(fleet.server.url, { name: `${pool}${i}`, pool, max: 2, env: { ...sb.env, MARK: 'dist', A_SECRET: 's3cret' } });
    fleet.workers.push(w);
    started.push(w);
  }
  return started;
}

test.serial('a directory of task files gives the same statuses and exit codes locally and on agents, run in-process there', async (t) => {
  const sb = sandbox();
  writeTaskDir(sb);
  const files = readdirSync(sb.tasks).sort().map((n) => ({ taskFile: join(sb.tasks, n), path: join(sb.tasks, n) }));

  const localIo = { ...recordingIo({ ...sb.env, MARK: 'local' }), cwd: sb.dir };
  const code = await run(['-T', sb.tasks, '-C', sb.command, '-r', '-m', '4', '-t', '3', '--results', join(sb.dir, 'local.jsonl')], localIo);
  t.is(code, 1, localIo.out() + localIo.err());
  t.deepEqual(outcomes(readResults(join(sb.dir, 'local.jsonl'))), EXPECTED);

  const workers = await startWorkers(sb, 'same');
  const io = recordingIo(sb.env);
  const r = await runDistributed(
    { files, command: sb.command, timeoutSeconds: 3, nats: { servers: [fleet.server.url], pool: 'same', ackWaitSec: 2 }, stateDir: join(sb.dir, 'runs') },
    io,
  );
  t.is(r.exitCode, 1, io.err());
  const records = readResults(r.resultsFile!);
  t.deepEqual(outcomes(records), EXPECTED);
  t.true(records.every((x) => workers.some((w) => w.name === x.agent)), 'every file ran on an agent');

  // In-process: from the task up to its worker there is no tasker process (only the launcher).
  const chain = ancestry(sb, 'dist');
  const worker = chain.findIndex((p) => workers.some((w) => w.pid === p.pid));
  t.true(worker > 0, chain.map((p) => `${p.pid} ${p.cmd}`).join('\n'));
  t.deepEqual(chain.slice(0, worker).filter((p) => /tasker\.(cjs|js|ts)\b/.test(p.cmd)), [], 'no tasker process between task and worker');
  // Own workspace as the run's working directory, and the worker itself never changed directory.
  const ran = workers.find((w) => w.pid === chain[worker]!.pid)!;
  t.regex(readFileSync(join(sb.marks, 'cwd-dist'), 'utf8'), new RegExp(`/job-[^/]+-p${ran.pid}-[^/]+\n$`));
  for (const w of workers) t.is(readlinkSync(`/proc/${w.pid}/cwd`), ROOT);
  // The fallback really started the bin, which placed the task on the gRPC agent.
  t.regex(grpcAgent.log(), /execute done/);
  for (const w of workers) await w.stop();
});

test.serial('cancelling a distributed run stops an in-process task file and leaves no process behind', async (t) => {
  const sb = sandbox();
  writeFileSync(join(sb.tasks, 'long.txt'), local(sb.long, '', 'timeout=600\n'));
  const workers = await startWorkers(sb, 'cancel', 1);
  const stop = new AbortController();
  const io = recordingIo(sb.env, stop.signal);
  const path = join(sb.tasks, 'long.txt');
  const running = runDistributed(
    { files: [{ taskFile: path, path }], command: sb.command, timeoutSeconds: 600, nats: { servers: [fleet.server.url], pool: 'cancel', ackWaitSec: 2 }, stateDir: join(sb.dir, 'runs') },
    io,
  );
  const pidFile = join(sb.marks, 'dist.pid');
  await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length === 2);
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  stop.abort('SIGTERM');
  const r = await running;
  t.is(r.exitCode, 143, io.err());
  t.deepEqual(readResults(r.resultsFile!).map((x) => x.status), ['CANCELLED']);
  await settle(pids);
  for (const pid of pids) t.false(alive(pid), `pid ${pid} survived the cancel`);
  t.true(alive(workers[0]!.pid), 'the worker itself carries on');
  for (const w of workers) await w.stop();
});

test.serial('a worker stopped mid-job aborts its in-process task file and leaves no process behind', async (t) => {
  const sb = sandbox();
  writeFileSync(join(sb.tasks, 'long.txt'), local(sb.long, '', 'timeout=600\n'));
  const [worker] = await startWorkers(sb, 'shutdown', 1);
  const path = join(sb.tasks, 'long.txt');
  const stop = new AbortController();
  const running = runDistributed(
    { files: [{ taskFile: path, path }], command: sb.command, timeoutSeconds: 600, nats: { servers: [fleet.server.url], pool: 'shutdown', ackWaitSec: 2 }, stateDir: join(sb.dir, 'runs'), cancelGraceMs: 500 },
    recordingIo(sb.env, stop.signal),
  );
  const pidFile = join(sb.marks, 'dist.pid');
  await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length === 2);
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  await worker!.stop(); // SIGTERM: drain (5 s), then the running job is aborted
  t.regex(worker!.log(), /job handed back at shutdown/);
  for (const pid of pids) t.false(alive(pid), `pid ${pid} survived the worker's stop`);
  stop.abort('SIGTERM');
  await running;
});

test.serial("two runs with different configs in-process on one agent: neither drops the other's secret names", async (t) => {
  const sb = sandbox();
  const secA = join(sb.dir, 'a.yaml');
  const secB = join(sb.dir, 'b.yaml');
  writeFileSync(secA, 'secrets:\n  names: [MY_CODE]\n');
  writeFileSync(secB, 'secrets:\n  names: [OTHER_CODE]\n');
  const started = join(sb.marks, 'a-started');
  // Run A (--auto-recovery: its state, written as it runs, is kept after its failure) waits until
  // run B has read its own config, then prints its secret and fails.
  const a = join(sb.tasks, 'a.txt');
  const task = (id: number, command: string, args = '') => `task=${id}\nhostname=localhost\ncommand=${command}\narguments=${args}\nexec=local\n\n`;
  writeFileSync(a, `MY_CODE=$A_SECRET\n\n${task(0, 'touch', started)}${task(1, 'sleep', '3')}${task(2, 'echo', 'value @MY_CODE@')}${task(3, 'false')}`);
  const b = join(sb.dir, 'b.txt');
  writeFileSync(b, local('true'));
  const workers = await startWorkers(sb, 'secrets', 1);
  const nats = { servers: [fleet.server.url], pool: 'secrets', ackWaitSec: 2 };
  const runA = runDistributed({ files: [{ taskFile: a, path: a }], command: `tasker -r --auto-recovery --config ${secA} @TASK@`, timeoutSeconds: 60, nats, stateDir: join(sb.dir, 'runs') }, recordingIo(sb.env));
  await waitFor(() => existsSync(started));
  const rb = await runDistributed({ files: [{ taskFile: b, path: b }], command: `tasker -r --config ${secB} @TASK@`, timeoutSeconds: 60, nats, stateDir: join(sb.dir, 'runs') }, recordingIo(sb.env));
  t.is(rb.exitCode, 0);
  const ra = await runA;
  t.deepEqual(readResults(ra.resultsFile!).map((x) => `${x.status} ${x.exit_code}`), ['FAILED 10']);
  const written = filesUnder(join(sb.home, 'TASKER'));
  t.true(written.some((f) => f.includes('recovery')), written.join('\n'));
  t.true(written.some((f) => readFileSync(f, 'utf8').includes('value <masked len=6>')), 'the secret was printed, masked');
  for (const f of written) t.false(readFileSync(f, 'utf8').includes('s3cret'), `the secret is in ${f}`);
  for (const w of workers) await w.stop();
});

/** Every file below dir. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Gives killed processes a moment to be gone (SIGKILL follows SIGTERM after 2 s). */
async function settle(pids: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

test.serial('parallelr --no-in-process --nats: the agent starts the tasker bin for each file; without it the file runs in-process', async (t) => {
  const sb = sandbox();
  writeFileSync(join(sb.tasks, 'ok.txt'), local(sb.ancestry));
  const workers = await startWorkers(sb, 'noinproc', 1);
  const viaCli = async (extra: string[]) => {
    const io = { ...recordingIo(sb.env), cwd: sb.dir };
    const args = ['-T', sb.tasks, '-C', sb.command, '-r', '--nats', fleet.server.url, '--pool', 'noinproc', '--results', join(sb.dir, `${extra.length}.jsonl`), ...extra];
    const code = await run(args, { ...io, env: { ...io.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs') } }, { runDistributed: runDistributedCli });
    t.is(code, 0, io.out() + io.err());
    t.deepEqual(outcomes(readResults(join(sb.dir, `${extra.length}.jsonl`))), ['ok.txt SUCCESS 0']);
    const chain = ancestry(sb, 'dist');
    const worker = chain.findIndex((p) => p.pid === workers[0]!.pid);
    t.true(worker > 0, chain.map((p) => `${p.pid} ${p.cmd}`).join('\n'));
    return chain.slice(0, worker).filter((p) => p.cmd.includes(TASKER_BIN));
  };
  const started = await viaCli(['--no-in-process']);
  t.is(started.length, 1, 'one tasker process between the task and the worker');
  t.regex(started[0]?.cmd ?? '', /tasker\.cjs -r --config \S+ \S+\/ok\.txt /);
  t.deepEqual(await viaCli([]), [], 'no tasker process between the task and the worker');
  for (const w of workers) await w.stop();
});
