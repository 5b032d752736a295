/**
 * A stop that comes while the run's jobs cannot be published (JetStream's storage is full: the
 * publisher keeps trying, as it does through an outage, and says why after 10 s) ends the run: the cancel is not lost
 * because it came before the run started waiting for its results (shared/when-aborted.ts).
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats, jetStreamManagerOf, JOBS_STREAM } from '../../shared/nats/index.js';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { makeTaskFiles, recordingIo, startWorker, waitFor } from './fleet.js';

/** A nats-server whose JetStream may store only `fileStore` (and 1 MB in memory), and a directory for the run. */
async function smallStore(t: ExecutionContext, fileStore: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-full-store-'));
  const conf = join(dir, 'server.conf');
  writeFileSync(conf, `jetstream { max_file_store: ${fileStore}, max_memory_store: 1MB }\n`);
  const server = await startNatsServer({ args: ['-c', conf] });
  t.teardown(() => server.dispose());
  return { dir, server };
}

test('SIGTERM while JetStream is too full to take the jobs: the run is cancelled and ends, nothing recorded as run', async (t) => {
  const { dir, server } = await smallStore(t, '1MB');
  // Six files of 300 KB: the store takes the first two or three, then refuses with "insufficient resources".
  const filler = `# ${'x'.repeat(299_000)}\n`;
  const { files } = makeTaskFiles(6, (i) => `#!/bin/sh\necho ${i}\n${filler}`);
  const stop = new AbortController();
  const io = recordingIo({ HOME: dir, PARALLELR_HOME: join(dir, 'parallelr') }, stop.signal);
  const run = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [server.url], pool: 'full', ackWaitSec: 5 }, stateDir: join(dir, 'runs'), cancelGraceMs: 1000 }, io);

  // The publisher keeps trying the jobs the store refuses, and says why after 10 s.
  await waitFor(() => io.err().includes('refuses the run'));
  t.regex(io.err(), /^parallelr: NATS JetStream refuses the run's jobs \(insufficient resources\) for 1\d s: its storage is full \(the server's max_file_store or max_memory_store, or its disk\); make room or raise the limit\. The run waits and publishes them when JetStream takes them \(stop it with Ctrl-C or parallelr -k\)$/m);
  const nc = await connectNats({ servers: server.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, server.url);
  const stored = async () => (await jsm.streams.info(JOBS_STREAM).catch(() => undefined))?.state.messages ?? 0;
  const queued = await stored();
  t.true(queued > 0 && queued < 6, `the store took ${queued} of 6 jobs`);
  t.regex(readFileSync(join(dir, 'parallelr', 'logs', readdirSync(join(dir, 'parallelr', 'logs')).find((n) => /^parallelr_[^_]+\.log$/.test(n))!), 'utf8'), / - WARNING - parallelr: NATS JetStream refuses the run's jobs/, 'in the main log too');

  stop.abort('SIGTERM');
  const r = await run;
  t.is(r.exitCode, 143, io.err());
  t.is(r.counts.cancelled, 6, JSON.stringify(r.counts));
  t.regex(io.err(), /Interrupted by SIGTERM: cancelling the run on every agent/);
  t.is(await stored(), 0, 'the run\'s queued jobs are purged');
});

test('JetStream full of other data: the run says so, and carries on to its end once room is made', async (t) => {
  const { dir, server } = await smallStore(t, '2MB');
  const nc = await connectNats({ servers: server.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, server.url);
  // Another application's stream takes most of the store.
  await jsm.streams.add({ name: 'OTHER_APP', subjects: ['other.>'], max_bytes: 1_600_000 });
  const { jetstream } = await import('@nats-io/jetstream');
  const js = jetstream(nc);
  for (let i = 0; i < 15; i++) await js.publish('other.data', new Uint8Array(100_000));

  const worker = await startWorker(server.url, { name: 'room-1', pool: 'room', max: 2 });
  t.teardown(() => worker.kill9());
  const { files } = makeTaskFiles(4, (i) => `#!/bin/sh\necho ${i}\n# ${'y'.repeat(150_000)}\n`);
  const io = recordingIo({ HOME: dir, PARALLELR_HOME: join(dir, 'parallelr') });
  const run = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [server.url], pool: 'room', ackWaitSec: 5 }, stateDir: join(dir, 'runs') }, io);
  await waitFor(() => io.err().includes('refuses the run'));

  await jsm.streams.delete('OTHER_APP'); // the operator makes room
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(r.counts.succeeded, 4);
  t.regex(io.err(), /^parallelr: NATS JetStream takes the run's jobs again after \d+ s: the run carries on$/m);
});
