/**
 * A stop that comes while the run's jobs cannot be published (JetStream's storage is full: the
 * publisher keeps trying, as it does through an outage) ends the run: the cancel is not lost
 * because it came before the run started waiting for its results (shared/when-aborted.ts).
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats, jetStreamManagerOf, JOBS_STREAM } from '../../shared/nats/index.js';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { makeTaskFiles, recordingIo, sleep } from './fleet.js';

test('SIGTERM while JetStream is too full to take the jobs: the run is cancelled and ends, nothing recorded as run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-stop-publishing-'));
  const conf = join(dir, 'server.conf');
  writeFileSync(conf, 'jetstream { max_file_store: 1MB, max_memory_store: 1MB }\n');
  const server = await startNatsServer({ args: ['-c', conf] });
  t.teardown(() => server.dispose());
  // Six files of 300 KB: the store takes the first two or three, then refuses with "insufficient resources".
  const filler = `# ${'x'.repeat(299_000)}\n`;
  const { files } = makeTaskFiles(6, (i) => `#!/bin/sh\necho ${i}\n${filler}`);
  const stop = new AbortController();
  const io = recordingIo({ HOME: dir, PARALLELR_HOME: join(dir, 'parallelr') }, stop.signal);
  const run = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [server.url], pool: 'full', ackWaitSec: 5 }, stateDir: join(dir, 'runs'), cancelGraceMs: 1000 }, io);

  // Wait until the stream stops growing short of all six: the publisher is retrying the rest.
  const nc = await connectNats({ servers: server.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, server.url);
  const stored = async () => (await jsm.streams.info(JOBS_STREAM).catch(() => undefined))?.state.messages ?? 0;
  let last = -1;
  for (let same = 0; same < 5; await sleep(200)) {
    const now = await stored();
    same = now === last && now > 0 ? same + 1 : 0;
    last = now;
  }
  t.true(last < 6, `the store took ${last} of 6 jobs`);

  stop.abort('SIGTERM');
  const r = await run;
  t.is(r.exitCode, 143, io.err());
  t.is(r.counts.cancelled, 6, JSON.stringify(r.counts));
  t.regex(io.err(), /Interrupted by SIGTERM: cancelling the run on every agent/);
  t.is(await stored(), 0, 'the run\'s queued jobs are purged');
});
