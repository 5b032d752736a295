/**
 * A stored result is never re-run (issue 13 item 10): real nats-server restarted mid-run, real
 * worker processes, each job's side effect counted in a file named by its seq.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { makeTaskFiles, recordingIo, startWorker, useNatsFleet, waitFor } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

/** How many lines each seq's side-effect file holds. */
function sideEffects(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of readdirSync(join(dir, 'effects'))) counts.set(f, readFileSync(join(dir, 'effects', f), 'utf8').split('\n').filter(Boolean).length);
  return counts;
}

test.serial('120 jobs, nats-server restarted twice mid-run: each job\'s side effect happens exactly once', async (t) => {
  const pool = 'once';
  workers.push(await startWorker(fleet.server.url, { name: 'o1', pool, max: 3 }), await startWorker(fleet.server.url, { name: 'o2', pool, max: 3 }));
  const { dir, files } = makeTaskFiles(120, (i, d) => `mkdir -p '${d}/effects'; sleep 0.1; echo ran >> '${d}/effects/${i}'\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const run = runDistributed(
    { files, command: '/bin/sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool, ackWaitSec: 2 }, stateDir: join(dir, 'runs') },
    io,
  );
  await waitFor(() => (io.out().match(/ SUCCESS:/g) ?? []).length >= 30);
  await fleet.server.restart();
  await waitFor(() => (io.out().match(/ SUCCESS:/g) ?? []).length >= 70);
  await fleet.server.restart();
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(r.counts.succeeded, 120);
  const effects = sideEffects(dir);
  t.is(effects.size, 120);
  const twice = [...effects].filter(([, n]) => n !== 1);
  t.deepEqual(twice, [], `jobs whose side effect happened more than once: ${twice.map(([s, n]) => `${s}×${n}`).join(', ')}`);
  for (const w of workers.splice(0)) await w.stop();
});
