/**
 * Distributed runs are operated like local ones (issue 14, item 4): `--list-workers` lists a
 * distributed daemon (`-d`) and a foreground run with run id, NATS URL and progress; `-k PID` stops
 * one: its jobs are cancelled on every agent (no process left, found by a marker in /proc), the
 * controller exits cleanly and its results file records what ran and what was cancelled.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../controller/parallelr/cli.js';
import { runDistributedCli } from '../../controller/nats/cli-entry.js';
import { fakeIo, makeSandbox, startCli, type Sandbox } from '../controller/parallelr/helpers.js';
import { alive, readResults, startWorker, useNatsFleet, waitFor } from './fleet.js';

const fleet = useNatsFleet(test);

/** Processes whose command line holds `marker` (on this machine, where the agents run). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker) && alive(Number(name))) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Two quick task files and `sleepers` that sleep with a unique (numeric) marker, in the job and in a child of it. */
function tasks(sb: Sandbox, sleepers: number, marker: string): string {
  const dir = join(sb.dir, 'ntasks');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a-quick.sh'), 'true\n');
  writeFileSync(join(dir, 'b-quick.sh'), 'true\n');
  for (let i = 1; i <= sleepers; i++) writeFileSync(join(dir, `s${i}.sh`), `sh -c 'sleep 600' m${marker} &\nexec sleep 600.${marker}\n`);
  return dir;
}

const modes = [
  { mode: 'daemon (-d)', daemon: true },
  { mode: 'foreground', daemon: false },
];

for (const { mode, daemon } of modes) {
  test.serial(`--list-workers shows a distributed ${mode} run; -k PID cancels its jobs on every agent and the controller records them`, async (t) => {
    const pool = `lk${daemon ? 'd' : 'f'}`;
    const workdir = mkdtempSync(join(tmpdir(), 'tasker-lk-'));
    fleet.workers.push(await startWorker(fleet.server.url, { name: `${pool}-a1`, pool, max: 2, workdir }));
    fleet.workers.push(await startWorker(fleet.server.url, { name: `${pool}-a2`, pool, max: 2, workdir }));
    const sb = makeSandbox();
    const marker = `4242${process.pid}${daemon ? 1 : 2}`;
    const dir = tasks(sb, 3, marker);
    const results = join(sb.dir, 'results.jsonl');
    const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
    const args = ['-T', dir, '-C', '/bin/sh @TASK@', '-r', '--nats', fleet.server.url, '--pool', pool, '--results', results];
    const cli = startCli(sb, daemon ? ['-d', ...args] : args, env);
    let pid = cli.pid!;
    if (daemon) {
      const code = await new Promise<number | null>((r) => cli.on('close', r));
      t.is(code, 0, cli.output());
      pid = Number(/Started parallelr daemon, PID (\d+)/.exec(cli.output())?.[1]);
      t.regex(cli.output(), new RegExp(`Stop: parallelr -k ${pid}`));
    }
    // Every sleeper runs (the job and its grandchild), and the two quick ones are done.
    await waitFor(() => processesWith(marker).length >= 6 && readResults(results).length >= 2);

    // The registry entry is rewritten at most every 0.5 s: list until it shows both quick files done.
    let list = fakeIo(sb, { env });
    let row: string | undefined;
    while (!row?.includes(' 2/5 ')) {
      list = fakeIo(sb, { env });
      t.is(await run(['--list-workers'], list), 0);
      row = list.out().split('\n').find((l) => l.startsWith(`${pid} `));
      if (!row) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.truthy(row, list.out());
    t.regex(row!, new RegExp(`^${pid} +running +${daemon ? 'daemon' : 'foreground'}, nats +\\S+ \\S+ +2/5 `));
    const runId = new RegExp(`^${pid} distributed run (\\S+) via ${fleet.server.url.replace(/[.]/g, '\\.')} \\(pool ${pool}\\); follow it: parallelr --watch \\1$`, 'm').exec(list.out())?.[1];
    t.truthy(runId, list.out());
    t.true(row!.trimEnd().endsWith(`/parallelr_${runId}.log`), `its main log in the LOG column: ${row}`);
    t.true(list.out().includes(`${pid} results: ${results}`));

    const kill = fakeIo(sb, { env });
    t.is(await run(['-k', String(pid)], kill), 0, kill.err());
    t.regex(kill.out(), new RegExp(`Stopped worker ${pid} \\(SIGTERM\\)\\.`), 'the controller exited on its own after the cancel');
    t.false(alive(pid));
    t.deepEqual(processesWith(marker), [], 'no job process is left on any agent');
    if (!daemon) {
      const code = await new Promise<number | null>((r) => (cli.exitCode !== null ? r(cli.exitCode) : cli.on('close', r)));
      t.is(code, 143, cli.output());
      t.regex(cli.output(), /Interrupted by SIGTERM: cancelling the run on every agent/);
    }
    const rows = readResults(results);
    t.is(rows.length, 5, 'one row per task file');
    t.deepEqual(rows.filter((r) => r.status === 'SUCCESS').map((r) => r.task_file).sort(), [join(dir, 'a-quick.sh'), join(dir, 'b-quick.sh')]);
    t.is(rows.filter((r) => r.status === 'CANCELLED').length, 3);
    t.true(rows.every((r) => r.session_id === runId));
    const after = fakeIo(sb, { env });
    await run(['--list-workers'], after);
    t.false(after.out().includes(`${pid} `), 'the stopped run is no longer listed');
  });
}

test.serial('-k PID of a distributed run whose controller does not stop (SIGSTOP): SIGKILL, then the cancel is sent from -k', async (t) => {
  const pool = 'lkstop';
  fleet.workers.push(await startWorker(fleet.server.url, { name: `${pool}-a1`, pool, max: 2 }));
  const sb = makeSandbox();
  const marker = `4242${process.pid}3`;
  const dir = tasks(sb, 2, marker);
  const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
  const cli = startCli(sb, ['-T', dir, '-C', '/bin/sh @TASK@', '-r', '--nats', fleet.server.url, '--pool', pool, '--results', join(sb.dir, 'r.jsonl')], env);
  const closed = new Promise<void>((r) => cli.on('close', () => r()));
  await waitFor(() => processesWith(marker).length >= 4);
  process.kill(cli.pid!, 'SIGSTOP');
  const kill = fakeIo(sb, { env });
  t.is(await run(['-k', String(cli.pid)], kill, { runDistributed: runDistributedCli }), 0, kill.err());
  t.regex(kill.out(), new RegExp(`Killed worker ${cli.pid} and its task process groups \\(SIGKILL after 30s\\)\\.`));
  t.regex(kill.out(), /Cancelled run \S+ on its agents \(its controller had to be killed; parallelr --resume \S+ records the rest\)\./);
  await closed;
  await waitFor(() => processesWith(marker).length === 0);
  t.deepEqual(processesWith(marker), [], 'no job process is left on the agent');
});

test.serial('-k PID of a pid that is no parallelr run still says so', async (t) => {
  const sb = makeSandbox();
  const io = fakeIo(sb);
  t.is(await run(['-k', '999999'], io), 1);
  t.regex(io.err(), /PID 999999 is not a running parallelr worker/);
});

test.serial('-k PID of a distributed run whose agent does not answer (SIGSTOP): after 20 s a second SIGTERM ends the controller\'s wait, and it exits by itself with every row written', async (t) => {
  const pool = 'lkhurry';
  const agent = await startWorker(fleet.server.url, { name: `${pool}-a1`, pool, max: 2 });
  fleet.workers.push(agent);
  t.teardown(() => agent.child.kill('SIGCONT'));
  const sb = makeSandbox();
  const marker = `4343${process.pid}3`;
  const dir = tasks(sb, 2, marker);
  const results = join(sb.dir, 'r.jsonl');
  const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
  const cli = startCli(sb, ['-T', dir, '-C', '/bin/sh @TASK@', '-r', '--nats', fleet.server.url, '--pool', pool, '--results', results], env);
  const closed = new Promise<number | null>((r) => cli.on('close', (code) => r(code)));
  await waitFor(() => processesWith(marker).length >= 4);
  // The agent hangs: the cancel reaches NATS, but no result of the two running jobs comes back.
  agent.child.kill('SIGSTOP');
  const kill = fakeIo(sb, { env });
  t.is(await run(['-k', String(cli.pid)], kill, { runDistributed: runDistributedCli }), 0, kill.err());
  t.regex(kill.out(), new RegExp(`Stopped worker ${cli.pid} \\(SIGTERM\\)\\.`), 'not SIGKILLed: the second SIGTERM ended its wait');
  t.is(await closed, 143);
  const rows = readResults(results);
  t.is(rows.length, 4, 'a row for every file');
  const unconfirmed = rows.filter((r) => /no result came back from agent lkhurry-a1/.test(r.error_message));
  t.is(unconfirmed.length, 2, JSON.stringify(rows));
  for (const r of unconfirmed) {
    t.is(r.status, 'CANCELLED');
    t.is(r.exit_code, null);
  }
  agent.child.kill('SIGCONT');
  await waitFor(() => processesWith(marker).length === 0);
});
