/**
 * A second Ctrl-C of a distributed run ends the kill grace of its jobs on the agents, as it does for
 * a local run's tasks (shared/kill-grace.ts): the controller sends the cancel again as one that kills
 * now (shared/nats/cancel.ts), and each agent SIGKILLs that run's jobs at once — a program that
 * ignores SIGTERM included, started as a process or run by a tasker file in-process. The agents'
 * grace here (`--kill-grace 120`) is far longer than the test may take: only the hurry can end it.
 * Real nats-server, real agent processes.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { ROOT, readResults, recordingIo, startWorker, useNatsFleet, waitFor } from './fleet.js';

const fleet = useNatsFleet(test);
const TASKER = join(ROOT, 'dist/controller/cli/tasker.cjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the agent logged a cancel of the run that kills now. */
function killNowLogged(log: string): boolean {
  return log.split('\n').some((line) => line.includes('"message":"run cancelled by its controller"') && line.includes('"killNow":true'));
}

/** A program that ignores SIGTERM (its `exec`ed sleep inherits that) and writes its pid to `pidFile`. */
const IGNORES_TERM = (pidFile: string) => `trap '' TERM; echo $$ > ${pidFile}; exec sleep 300\n`;

const macro = test.macro(async (t, form: 'process' | 'in-process') => {
  const pool = `kill-now-${form}`;
  const agent = await startWorker(fleet.server.url, { name: `${pool}-a`, pool, max: 1, killGraceSec: 120 });
  fleet.workers.push(agent);
  const dir = mkdtempSync(join(tmpdir(), 'tasker-kill-now-'));
  const pidFile = join(dir, 'pid');
  let command: string;
  if (form === 'process') {
    writeFileSync(join(dir, 'job.sh'), IGNORES_TERM(pidFile));
    command = '/bin/sh @TASK@';
  } else {
    writeFileSync(join(dir, 'ignore-term.sh'), IGNORES_TERM(pidFile));
    writeFileSync(join(dir, 'job.txt'), `task=0\nhostname=localhost\ncommand=/bin/sh\narguments=${join(dir, 'ignore-term.sh')}\nexec=local\n`);
    command = `node ${TASKER} -r @TASK@`;
  }
  const file = join(dir, form === 'process' ? 'job.sh' : 'job.txt');
  const files = [{ taskFile: file, path: file }];
  const stop = new AbortController();
  const hurry = new AbortController();
  const io = { ...recordingIo({ PARALLELR_HOME: join(dir, 'home'), HOME: join(dir, 'home') }, stop.signal), hurry: hurry.signal };
  const run = runDistributed({ files, command, timeoutSeconds: 600, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), resultsFile: join(dir, 'results.jsonl') }, io);
  await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the job to start', 15_000).catch((e: Error) => t.fail(`${e.message}: ${io.err()} ${agent.log()}`));
  const pid = Number(readFileSync(pidFile, 'utf8'));

  stop.abort('SIGINT');
  await waitFor(() => agent.log().includes('"message":"run cancelled by its controller"'), 'the agent to hear the cancel');
  t.true(alive(pid), 'SIGTERM is ignored: the program is in its kill grace');
  t.false(killNowLogged(agent.log()));

  hurry.abort('SIGINT');
  await waitFor(() => !alive(pid), 'the program to be killed', 30_000);
  await waitFor(() => killNowLogged(agent.log()), 'the agent to log the kill', 10_000);
  const r = await run;
  t.is(r.exitCode, 130, io.err());
  const rows = readResults(join(dir, 'results.jsonl'));
  t.is(rows.length, 1);
  t.is(rows[0]!.status, 'CANCELLED', JSON.stringify(rows[0]));
});

test.serial('a job started as a process that ignores SIGTERM: a second Ctrl-C kills it at once on its agent', macro, 'process');
test.serial('a tasker file run in-process on the agent whose task ignores SIGTERM: a second Ctrl-C kills the task at once', macro, 'in-process');
