// Built bin: one test sends SIGINT to the tasker process; the rest run in-process (runTaskFile).
/**
 * Pipelined Execute: the controller sends the next tasks of a plain sequence to the agent while the
 * current one runs (ExecuteRequest.after_call), and the agent starts each the moment the one before
 * exits with status 0 on its own. These tests hold it to the engine's rules, against a real agent:
 * the next task starts only after the previous one ended, never after a failure, a timeout or a
 * stop, and nothing runs that the run does not record.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAgentConnection } from '../../../controller/agents/index.js';
import { AgentSession } from '../../../controller/agents/agent-session.js';
import type { ExecuteEvent__Output } from '../../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest } from '../../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import { tempDir, type CliRun } from '../../helpers/run-cli.js';
import { runTaskFile, runTracedSequence, task } from '../../helpers/task-files.js';
import { eventually, processesMatching, startAgent, uniqueSleep, type AgentProcess } from '../../helpers/agent-process.js';
import { execute, executeDoneLines, next, req, withProbedExecutor } from '../../helpers/start-ahead.js';

let agent: AgentProcess;
let config: string;

test.before(async () => {
  agent = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback']);
  config = join(tempDir(), 'tasker.yaml');
  writeFileSync(config, `agents:\n  jump: {address: "${agent.address}"}\ndefault_agent: jump\n`);
});

test.after.always(async () => {
  await agent?.stop();
});

/** PIDs of the children of `ppid` whose command name is `comm`. */
function childrenNamed(ppid: number, comm: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const [, name, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat)!;
        return name === comm && Number(rest!.split(' ')[1]) === ppid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** tasker -r f.txt in `dir` against the test agent (the config makes it the default). */
const runFile = (dir: string, opts: { onStdout?: (text: string, pid: number) => void; bin?: boolean } = {}) => runTaskFile(dir, ['--config', config], opts);

/** The agent's "execute done" lines of one run. */
const agentLines = (runId: string) => executeDoneLines(agent, runId);

/** The run id, as the log file's name carries it (f_20261128_123558_018.log). */
function runIdOf(r: CliRun): string {
  const id = /Log file: \S+_(\d{8}_\d{6}_\d{3})\.log/.exec(r.stdout + r.stderr)?.[1];
  if (!id) throw new Error(`no run id in the output: ${r.stdout}`);
  return id;
}

test.serial('a plain sequence on an agent runs pipelined, each task after the previous one ended, in order, once', async (t) => {
  const { r } = await runTracedSequence(t, tempDir(), 30, ['--config', config]);
  await eventually(() => agentLines(runIdOf(r)).length === 30);
  const lines = agentLines(runIdOf(r));
  // Every task after the first was sent ahead and started by the agent after its predecessor.
  t.deepEqual(lines.filter((l) => l.after !== undefined).map((l) => l.taskId), Array.from({ length: 29 }, (_, i) => String(i + 1)));
  t.true(lines.every((l) => l.outcome === 'exit 0'), JSON.stringify(lines));
  t.is(childrenNamed(agent.pid, 'tasker-launch').length, 1, 'the agent started them from its launcher');
});

test.serial('after a failing task, neither of the two tasks sent ahead runs', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), task(0, 'true', '') + task(1, 'sh', '-c "exit 3"') + task(2, 'touch', join(dir, 'ran2')) + task(3, 'touch', join(dir, 'ran3')));
  const { r, json } = await runFile(dir);
  t.is(r.code, 10);
  t.deepEqual(json.execution_summary.execution_path, [0, 1]);
  t.false(existsSync(join(dir, 'ran2')));
  t.false(existsSync(join(dir, 'ran3')));
  await eventually(() => agentLines(runIdOf(r)).length >= 3);
  const outcome = Object.fromEntries(agentLines(runIdOf(r)).map((l) => [l.taskId, l.outcome]));
  t.is(outcome['1'], 'exit 3');
  t.regex(outcome['2']!, /^not started/);
  // Task 3 waited behind task 2; the run's end may cancel it before the agent even reads it.
  t.notRegex(outcome['3'] ?? 'not started', /^exit/);
});

test.serial('a task killed at its timeout on the agent gets no follower, even when it exits 0 on SIGTERM', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), task(0, 'sh', '-c "trap \'exit 0\' TERM; sleep 30 & wait"', 'timeout=5') + task(1, 'touch', join(dir, 'ran1')) + task(2, 'touch', join(dir, 'ran2')));
  const { r, json } = await runFile(dir);
  t.is(r.code, 10, r.stdout);
  t.true(json.task_results['0']!.timed_out);
  t.deepEqual(json.execution_summary.execution_path, [0]);
  t.false(existsSync(join(dir, 'ran1')));
  t.false(existsSync(join(dir, 'ran2')));
});

test.serial('SIGINT while a task runs on the agent: it is killed, the tasks sent ahead never start, nothing survives', async (t) => {
  const dir = tempDir();
  const s = uniqueSleep();
  writeFileSync(join(dir, 'f.txt'), task(0, 'true', '') + task(1, 'sleep', s) + task(2, 'touch', join(dir, 'ran2')) + task(3, 'touch', join(dir, 'ran3')));
  let signalled = false;
  // SIGINT goes to the built bin's process (runFile runs in-process otherwise).
  const { r, json } = await runFile(dir, {
    bin: true,
    onStdout: (text, pid) => {
      if (!signalled && /Task 1: Executing/.test(text)) {
        signalled = true;
        // Once the sleep runs on the agent (tasks 2 and 3 are queued behind it by then).
        void eventually(() => processesMatching(`sleep ${s}`).length > 0).then(() => process.kill(pid, 'SIGINT'));
      }
    },
  });
  t.is(r.code, 130, r.stdout);
  t.deepEqual(json.execution_summary.execution_path, [0, 1]);
  t.is(json.task_results['1']!.exit_code, 130);
  t.false(existsSync(join(dir, 'ran2')));
  t.false(existsSync(join(dir, 'ran3')));
  await eventually(() => processesMatching(`sleep ${s}`).length === 0);
  await eventually(() => agentLines(runIdOf(r)).length >= 2);
  const outcome = Object.fromEntries(agentLines(runIdOf(r)).map((l) => [l.taskId, l.outcome]));
  t.regex(outcome['1']!, /^canceled/);
  for (const id of ['2', '3']) t.notRegex(outcome[id] ?? 'not started', /^exit/, `task ${id} never ran`);
});

test.serial('agent: a pipelined call after a call it does not know is not started', async (t) => {
  const conn = await openAgentConnection({ name: 'a', kind: 'plain', address: agent.address });
  const dir = tempDir();
  try {
    const events = await new Promise<ExecuteEvent__Output[]>((resolve, reject) => {
      const got: ExecuteEvent__Output[] = [];
      const call = conn.client.serverStream(conn.methods.execute, {
        run_id: 'nobody', task_id: '9', exec_type: 'local', hostname: 'localhost', command: 'touch', arguments: join(dir, 'ran'),
        timeout_ms: 0, output_cap: 0, call_id: 'c2', after_call: 'c1',
      }, Date.now() + 10_000);
      call.on('data', (e) => got.push(e));
      call.on('error', reject);
      call.on('end', () => resolve(got));
    });
    t.is(events.length, 1);
    t.true(events[0]!.finished?.not_started);
    t.regex(events[0]!.finished!.error, /call `c1` of run nobody is not known/);
    t.false(existsSync(join(dir, 'ran')));
  } finally {
    await conn.close();
  }
});

test.serial('agent: pipelined calls waiting for their predecessors are bounded by --max-queue', async (t) => {
  const small = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback', '--max-queue', '1']);
  const conn = await openAgentConnection({ name: 'a', kind: 'plain', address: small.address });
  const s = uniqueSleep();
  const call = (callId: string, afterCall: string, command: string, args: string) =>
    conn.client.serverStream(conn.methods.execute, {
      run_id: 'bounded', task_id: callId, exec_type: 'local', hostname: 'localhost', command, arguments: args,
      timeout_ms: 0, output_cap: 0, call_id: callId, after_call: afterCall,
    }, Date.now() + 30_000);
  try {
    const first = call('c1', '', 'sleep', s);
    await eventually(() => processesMatching(`sleep ${s}`).length > 0);
    // Read by the agent before c3 (same connection, in order): c2 waits behind the sleep.
    const waiting = call('c2', 'c1', 'true', '');
    for (const c of [first, waiting]) c.on('error', () => undefined); // cancelled below
    const refused = await new Promise<{ status: number; details: string }>((resolve) => {
      const c = call('c3', 'c1', 'true', '');
      c.on('error', resolve);
      c.on('end', () => resolve({ status: 0, details: 'accepted' }));
    });
    t.is(refused.status, 8); // RESOURCE_EXHAUSTED
    t.regex(refused.details, /1 pipelined tasks already wait for their predecessors \(--max-queue 1\)/);
    for (const c of [first, waiting]) c.cancel();
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
  } finally {
    await conn.close();
    await small.stop();
  }
});

test.serial('an agent without the launcher (TASKER_LAUNCHER=off) pipelines too: each task starts once it saw the one before exit 0', async (t) => {
  process.env['TASKER_LAUNCHER'] = 'off';
  const plain = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback']).finally(() => delete process.env['TASKER_LAUNCHER']);
  try {
    await withProbedExecutor(plain.address, async (ex) => {
      const dir = tempDir();
      const trace = join(dir, 'trace');
      const step = (i: number) => next('sh', `-c "echo start ${i} >> ${trace}; echo end ${i} >> ${trace}; exit ${i === 2 ? 1 : 0}"`, String(i));
      const r = await execute(ex, { ...req('true', ''), next: [step(1), step(2)] });
      const one = await execute(ex, { ...req('sh', ''), taken: r.startedAhead![0], next: [step(3)], after: r.startedAhead![1] });
      t.is(one.exitCode, 0);
      const two = await execute(ex, { ...req('sh', ''), taken: r.startedAhead![1] });
      t.is(two.exitCode, 1);
      t.false(await one.startedAhead![0]!.started, 'no task after the failing one');
      t.deepEqual(readFileSync(trace, 'utf8').trim().split('\n'), ['start 1', 'end 1', 'start 2', 'end 2']);
      t.deepEqual(childrenNamed(plain.pid, 'tasker-launch'), [], 'the agent ran without its launcher');
    });
  } finally {
    await plain.stop();
  }
});

test.serial('agent: a drain (SIGTERM) lets the running task finish and answers not_started for the ones queued behind it', async (t) => {
  const draining = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback', '--drain-timeout', '30']);
  try {
    await withProbedExecutor(draining.address, async (ex) => {
      const dir = tempDir();
      const s = uniqueSleep().replace(/^\d+/, '1'); // about a second
      const running = execute(ex, { ...req('sleep', s), next: [next('touch', join(dir, 'ran2'), '2'), next('touch', join(dir, 'ran3'), '3')] });
      await eventually(() => processesMatching(`sleep ${s}`).length > 0);
      draining.child.kill('SIGTERM');
      const r = await running;
      t.is(r.exitCode, 0, 'the running task finished');
      t.false(await r.startedAhead![0]!.started, 'explicitly not started: the controller may run it elsewhere');
      t.false(await r.startedAhead![1]!.started);
      t.is(await draining.exited, 0);
      t.false(existsSync(join(dir, 'ran2')));
      t.false(existsSync(join(dir, 'ran3')));
    });
  } finally {
    await draining.stop();
  }
});

test.serial('agent: an overlong run_id, task_id, call_id or after_call is refused with INVALID_ARGUMENT naming the field', async (t) => {
  const conn = await openAgentConnection({ name: 'a', kind: 'plain', address: agent.address });
  try {
    for (const [field, ids] of [
      ['call_id', { call_id: 'x'.repeat(129), after_call: '' }],
      ['after_call', { call_id: 'c1', after_call: 'y'.repeat(5000) }],
      ['run_id', { run_id: 'r'.repeat(200) }],
      ['task_id', { task_id: 't'.repeat(129) }],
    ] as const) {
      const err = await new Promise<{ status: number; details: string }>((resolve) => {
        const c = conn.client.serverStream(conn.methods.execute, {
          run_id: 'long', task_id: '1', exec_type: 'local', hostname: 'localhost', command: 'true', arguments: '', timeout_ms: 0, output_cap: 0, call_id: '', after_call: '', ...ids,
        }, Date.now() + 10_000);
        c.on('error', resolve);
        c.on('end', () => resolve({ status: 0, details: 'accepted' }));
      });
      t.is(err.status, 3, field); // INVALID_ARGUMENT
      t.regex(err.details, new RegExp(`^${field} must be at most 128 characters`));
    }
  } finally {
    await conn.close();
  }
});

for (const way of ['Execute calls', 'one Session'] as const) test.serial(`agent (${way}): random pipelined calls (chains, failures, cancels) — a task starts only after its predecessor ended with status 0 on its own, and always then`, async (t) => {
  const conn = await openAgentConnection({ name: 'a', kind: 'plain', address: agent.address });
  const session = new AgentSession(conn.client, conn.methods.session);
  const open = (request: ExecuteRequest & { call_id: string }, deadline: number) =>
    way === 'one Session' ? session.execute(request, deadline) : conn.client.serverStream(conn.methods.execute, request, deadline);
  const dir = tempDir();
  // A new seed each run (FUZZ_SEED=… repeats one); every message names it.
  const seed0 = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000_007);
  let seed = seed0;
  const rand = (): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const N = 60;
  const preds: (number | undefined)[] = [];
  const cancelled = new Set<number>();
  const why: string[] = [];
  try {
    const ends = [];
    for (let i = 0; i < N; i++) {
      const pred = i > 0 && rand() < 0.7 ? Math.floor(rand() * i) : undefined;
      preds.push(pred);
      const rc = rand() < 0.2 ? 1 : 0;
      const nap = rand() < 0.3 ? 'sleep 0.05; ' : '';
      const script = `echo S $(date +%s%N) >> ${dir}/${i}; ${nap}echo E ${rc} $(date +%s%N) >> ${dir}/${i}; exit ${rc}`;
      const call = open({
        run_id: `fuzz-${process.pid}-${way.length}`, task_id: String(i), exec_type: 'local', hostname: 'localhost', command: 'sh', arguments: `-c '${script}'`,
        timeout_ms: 0, output_cap: 0, call_id: `c${i}`, after_call: pred === undefined ? '' : `c${pred}`,
      }, Date.now() + 60_000);
      ends.push(
        new Promise<'finished' | 'not_started' | 'cancelled'>((resolve, reject) => {
          call.on('data', (e) => e.finished && resolve(e.finished.not_started ? `not_started` : 'finished'));
          call.on('data', (e) => e.finished?.not_started && (why[i] = e.finished.error));
          call.on('error', (e) => (cancelled.has(i) ? resolve('cancelled') : reject(e)));
          call.on('end', () => resolve('cancelled'));
        }),
      );
      if (rand() < 0.1) {
        cancelled.add(i);
        setTimeout(() => call.cancel(), Math.floor(rand() * 30));
      }
    }
    const outcome = await Promise.all(ends);
    const trace = (i: number) => (existsSync(join(dir, String(i))) ? readFileSync(join(dir, String(i)), 'utf8').trim().split('\n').map((l) => l.split(' ')) : []);
    for (let i = 0; i < N; i++) {
      const mine = trace(i);
      const pred = preds[i];
      if (pred === undefined) continue;
      const before = trace(pred);
      const predOk = before.length === 2 && before[1]![1] === '0';
      if (mine.length > 0) {
        t.true(predOk, `seed ${seed0}: task ${i} ran although task ${pred} did not end with status 0: ${JSON.stringify(before)}`);
        t.true(BigInt(mine[0]![1]!) >= BigInt(before[1]![2]!), `seed ${seed0}: task ${i} started before task ${pred} ended`);
      } else if (predOk && !cancelled.has(i) && !cancelled.has(pred)) {
        // (A predecessor cancelled just after it wrote its last line was killed: not "on its own".)
        t.fail(`seed ${seed0}: task ${i} did not run although task ${pred} ended with status 0 (outcome ${outcome[i]}: ${why[i]})`);
      }
      if (!cancelled.has(i)) t.is(outcome[i], mine.length > 0 ? 'finished' : 'not_started', `seed ${seed0}: task ${i}`);
    }
  } finally {
    session.close();
    await conn.close();
  }
});
