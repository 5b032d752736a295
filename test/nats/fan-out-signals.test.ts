/**
 * More than ten waits on one stop signal print no Node warning ("Possible EventTarget memory leak
 * detected"): an agent running more than ten jobs at once, a controller retrying more than ten jobs
 * JetStream refuses (shared/when-aborted.ts, fanOutAbortController).
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { makeTaskFiles, readResults, recordingIo, startWorker, waitFor } from './fleet.js';

const AT_ONCE = 12;

test.serial(`an agent running ${AT_ONCE} jobs at once prints no warning`, async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.dispose());
  const worker = await startWorker(server.url, { name: 'wide-1', pool: 'wide', max: AT_ONCE });
  t.teardown(() => worker.kill9());
  const { dir, files } = makeTaskFiles(AT_ONCE, (i, d) => `touch '${d}/started-${i}'; while [ $(ls '${d}' | grep -c started-) -lt ${AT_ONCE} ]; do sleep 0.05; done\n`);
  const io = recordingIo({ PARALLELR_HOME: dir });
  const r = await runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 60, nats: { servers: [server.url], pool: 'wide', ackWaitSec: 5 }, stateDir: join(dir, 'runs'), batch: 1 }, io);
  t.is(r.exitCode, 0, io.err());
  t.is(readResults(r.resultsFile!).filter((rec) => rec.status === 'SUCCESS').length, AT_ONCE, `all ${AT_ONCE} ran together`);
  t.notRegex(worker.log(), /Warning|memory leak/);
});

test.serial(`a run whose ${AT_ONCE + 4} jobs JetStream refuses, stopped, prints no warning`, async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const dir = mkdtempSync(join(tmpdir(), 'tasker-fan-out-'));
  const conf = join(dir, 'server.conf');
  writeFileSync(conf, 'jetstream { max_file_store: 1MB, max_memory_store: 1MB }\n');
  const server = await startNatsServer({ args: ['-c', conf] });
  t.teardown(() => server.dispose());
  // 200 KB each: the store takes a few, then refuses the rest, which the publisher retries together.
  const { files } = makeTaskFiles(AT_ONCE + 4, (i) => `echo ${i}\n# ${'x'.repeat(200_000)}\n`);
  const stop = new AbortController();
  const io = recordingIo({ HOME: dir, PARALLELR_HOME: join(dir, 'parallelr') }, stop.signal);
  const run = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [server.url], pool: 'refused', ackWaitSec: 5 }, stateDir: join(dir, 'runs'), batch: 1, cancelGraceMs: 1000 }, io);
  await waitFor(() => io.err().includes('refuses the run'));
  stop.abort('SIGTERM');
  const r = await run;
  t.is(r.exitCode, 143, io.err());
  t.deepEqual(warnings, []);
});
