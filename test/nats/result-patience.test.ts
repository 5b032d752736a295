/**
 * An outage longer than an agent's result patience (docs/nats.md "Exactly once"): the agent gives
 * up storing the result of a job that ran and hands the job back; once JetStream is back the job is
 * claimed again, finds the agent's own earlier attempt, runs again, and the run reports it as having
 * run twice (`runs: 2`, the cause) — never silently once. A real nats-server stopped mid-job and
 * started again on its store; a real worker (in this process, to shorten its patience) and job.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { startNatsWorker } from '../../agent/nats/worker.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { makeTaskFiles, readResults, recordingIo, waitFor } from './fleet.js';

test('the result cannot be stored for longer than the agent waits: the job is handed back, runs again, and is reported as run twice', async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.dispose());
  const logged: string[] = [];
  const logger = {
    info: (m: string) => void logged.push(m),
    warn: (m: string) => void logged.push(m),
    error: (m: string) => void logged.push(m),
  };
  const pool = 'patience';
  const worker = await startNatsWorker({
    servers: server.url, pool, max: 1, name: 'patient', logger, ackWaitMs: 2000, lostAfterMs: 500, resultPatienceMs: 1500, drainMs: 1000,
  });
  t.teardown(() => worker.stop());
  // The job writes a line when it starts and another when it ends, after 2 s.
  const { dir, files } = makeTaskFiles(1, (_i, d) => `echo start >> '${d}/starts'; sleep 2; echo end >> '${d}/ends'\n`);
  const lines = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length : 0);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, runId: 'patience-1', nats: { servers: [server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs'), quiet: true },
    io,
  );
  t.teardown(() => run.catch(() => undefined));
  await waitFor(() => lines('starts') === 1);
  await server.stop(); // mid-job: the job ends at 2 s, its result has nowhere to go
  await waitFor(() => logged.includes('cannot publish result; job handed back'));
  t.is(lines('ends'), 1, 'the job ran to its end before the agent gave up on its result');
  await server.restart();
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(lines('starts'), 2, 'it ran again');
  const [record] = readResults(r.resultsFile!);
  t.is(record!.status, 'SUCCESS');
  t.is(record!.runs, 2);
  t.regex(record!.rerun_cause ?? '', /agent patient stopped holding the job \(delivery 1\) without storing a result/);
  t.deepEqual(r.ranMoreThanOnce.map((x) => x.seq), [1]);
});
