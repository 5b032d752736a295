/**
 * A distributed run stopped while its jobs' ends cannot be known (controller/nats/stop-run.ts):
 * nats-server gone, or an agent that stopped answering. The records say what is known and nothing
 * more, a second SIGINT ends the wait for the agents' reports, and a cancel that did not get
 * through is finished by `--resume` once NATS is back. Real nats-server, real agent processes.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resumeDistributed, runDistributed } from '../../controller/nats/run-distributed.js';
import { readRunState, type RunState } from '../../controller/nats/run-state.js';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { PARALLELR_BIN, readResults, recordingIo, ROOT, sleep, startWorker, waitFor } from './fleet.js';

/** `long1`, `long2` touch their mark and run until killed; `later*` only touch their mark. */
function sandbox(laters: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-unconfirmed-'));
  const marks = join(dir, 'marks');
  const tasks = join(dir, 'tasks');
  mkdirSync(marks);
  mkdirSync(tasks);
  const script = (name: string, body: string) => {
    const path = join(tasks, name);
    writeFileSync(path, `#!/bin/sh\ntouch '${marks}/${name}'\n${body}`);
    chmodSync(path, 0o755);
    return { taskFile: path, path };
  };
  const files = [script('long1', 'exec sleep 120\n'), script('long2', 'exec sleep 120\n')];
  for (let i = 1; i <= laters; i++) files.push(script(`later${i}`, ''));
  return { dir, tasks, files, marked: (name: string) => existsSync(join(marks, name)) };
}

/** The last record of each file, as `--rerun-failed` reads a results file (a later row supersedes). */
function lastByFile(records: readonly TaskRecord[]): Map<string, TaskRecord> {
  return new Map(records.map((r) => [r.task_file.split('/').pop()!, r]));
}

test.serial('nats-server gone at the stop: running jobs are ERROR on their agent and slot, queued ones may still run, and --resume cancels the run once NATS is back', async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.dispose());
  const pool = 'unconfirmed1';
  const agent = await startWorker(server.url, { name: 'u1', pool, max: 2 });
  t.teardown(() => agent.kill9());
  const sb = sandbox(2);
  const stateDir = join(sb.dir, 'runs');
  const resultsFile = join(sb.dir, 'results.jsonl');
  const stop = new AbortController();
  const io = recordingIo({ PARALLELR_HOME: join(sb.dir, 'home') }, stop.signal);
  const running = runDistributed({
    files: sb.files, command: '/bin/sh @TASK@', timeoutSeconds: 300, runId: 'unconfirmed-1', resultsFile, stateDir,
    nats: { servers: [server.url], pool, ackWaitSec: 30 }, cancelGraceMs: 1500,
  }, io);
  await waitFor(() => sb.marked('long1') && sb.marked('long2'));
  await server.stop();
  stop.abort('SIGINT');
  const r = await running;

  t.is(r.exitCode, 130, io.err());
  const rows = lastByFile(readResults(resultsFile));
  t.is(rows.size, 4);
  for (const name of ['long1', 'long2']) {
    const rec = rows.get(name)!;
    t.is(rec.status, 'ERROR', name);
    t.is(rec.agent, 'u1');
    t.true(rec.worker === 1 || rec.worker === 2, `${name}: slot ${rec.worker}`);
    t.is(rec.exit_code, null, 'no exit code is made up for a job whose end is unknown');
    t.not(rec.start_time, null);
    t.regex(rec.error_message, new RegExp(`^No result: it was running on agent u1 \\(slot ${rec.worker}\\) when the run was stopped, and the cancel did not reach NATS \\(.+\\), so it may have run to its end: see that agent's log$`));
  }
  for (const name of ['later1', 'later2']) {
    const rec = rows.get(name)!;
    t.is(rec.status, 'CANCELLED', name);
    t.is(rec.start_time, null);
    t.regex(rec.error_message, /^Task cancelled \(SIGINT\); it may still be queued on NATS, or held by an agent that did not hear the cancel \(.+\): cancel it there with parallelr --resume unconfirmed-1$/);
  }
  t.regex(io.out() + io.err(), /run unconfirmed-1: the cancel did not reach NATS \(.+\): 2 running job\(s\) were not told to stop, and agents may still take its queued jobs once NATS is back\. Cancel it there once NATS answers: parallelr --resume unconfirmed-1/);
  t.is((readRunState(stateDir, 'unconfirmed-1') as RunState).status, 'cancelled', 'not done: --resume sends the cancel again');

  // NATS back: the agent still runs both long jobs; --resume tells it to stop them and drops the rest.
  // The agent is frozen until --resume has sent its first cancel, so it reconnects only after it
  // (as an agent slower to reconnect than the operator is to resume): it hears the cancel sent again.
  agent.child.kill('SIGSTOP');
  t.teardown(() => agent.child.kill('SIGCONT'));
  await server.restart();
  const io2 = recordingIo({ PARALLELR_HOME: join(sb.dir, 'home') });
  const resuming = resumeDistributed({ runId: 'unconfirmed-1', stateDir, cancelGraceMs: 20_000 }, io2);
  await waitFor(() => /cancelling it on every agent/.test(io2.out() + io2.err()), 'the resumed run to cancel', 30_000);
  await sleep(300);
  agent.child.kill('SIGCONT');
  const again = await resuming;
  t.is(again.exitCode, 130, io2.err());
  t.regex(io2.out() + io2.err(), /Run unconfirmed-1 was stopped before \(SIGINT\): cancelling it on every agent/);
  await waitFor(() => agent.log().includes('"message":"run cancelled by its controller"'), 'the agent to hear the cancel', 30_000);
  const after = lastByFile(readResults(resultsFile));
  for (const name of ['long1', 'long2']) {
    t.is(after.get(name)!.status, 'CANCELLED', name);
    t.is(after.get(name)!.exit_code, 130, `${name}: the agent's own result, with local parallelr's exit code for SIGINT`);
  }
  for (const name of ['later1', 'later2']) t.false(sb.marked(name), `${name} never ran`);
  t.is((readRunState(stateDir, 'unconfirmed-1') as RunState).status, 'done');
});

test.serial('parallelr (the built bin): a second Ctrl-C stops waiting for an agent that does not answer; its jobs are CANCELLED, unconfirmed, with no exit code made up', async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.dispose());
  const pool = 'unconfirmed2';
  const agent = await startWorker(server.url, { name: 'u2', pool, max: 2 });
  t.teardown(async () => {
    agent.child.kill('SIGCONT');
    await agent.kill9();
  });
  const sb = sandbox(0);
  const results = join(sb.dir, 'results.jsonl');
  const child = spawn(PARALLELR_BIN, ['-T', sb.tasks, '-C', '/bin/sh @TASK@', '-r', '--nats', server.url, '--pool', pool, '--results', results, '--no-backup-inputs'], {
    cwd: ROOT,
    env: { ...process.env, HOME: join(sb.dir, 'home'), PARALLELR_HOME: join(sb.dir, 'home'), TASKER_NATS_STATE_DIR: join(sb.dir, 'runs') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('close', r));
  await waitFor(() => sb.marked('long1') && sb.marked('long2'));
  // The agent stops answering (as a host that hangs): the cancel reaches NATS, no result comes back.
  agent.child.kill('SIGSTOP');
  child.kill('SIGINT');
  await waitFor(() => out.includes('Waiting up to 15 s for the 2 running job(s) to report (Ctrl-C again to stop waiting)'));
  child.kill('SIGINT');
  t.is(await exited, 130, out);
  t.regex(out, /Stopped waiting: 2 running job\(s\) are recorded without their result/);
  t.notRegex(out, /did not reach NATS/);
  const rows = lastByFile(readResults(results));
  for (const name of ['long1', 'long2']) {
    const rec = rows.get(name)!;
    t.is(rec.status, 'CANCELLED', name);
    t.is(rec.agent, 'u2');
    t.is(rec.exit_code, null);
    t.regex(rec.error_message, new RegExp(`^Task cancelled \\(SIGINT\\); no result came back from agent u2 \\(slot ${rec.worker}\\), so how it ended is not confirmed: see that agent's log$`));
  }
});
