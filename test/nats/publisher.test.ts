/** Publishing jobs reads each file bounded: a FIFO or an oversized file is a named failure, never a hang or a whole read. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishJobs, type PublishFailure } from '../../controller/nats/publisher.js';
import type { RunState } from '../../controller/nats/run-state.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { ensureStreams } from '../../shared/nats/streams.js';
import { makeTaskFiles, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);

test.serial('a FIFO and a file larger than a job can hold are refused by name; the regular files are published', async (t) => {
  const { dir, files } = makeTaskFiles(4, (i) => `echo ${i}\n`);
  execFileSync('mkfifo', [files[1]!.path + '.fifo']);
  files[1] = { ...files[1]!, path: files[1]!.path + '.fifo' };
  // Sparse: 64 GiB on paper, nothing on disk; reading it whole would never end.
  writeFileSync(files[2]!.path, '');
  truncateSync(files[2]!.path, 64 * 1024 ** 3);
  const state: RunState = {
    version: 1, runId: 'publisher-bounded', createdAt: new Date().toISOString(), servers: [fleet.server.url], pool: 'pub1',
    command: '/bin/sh @TASK@', timeoutSeconds: 30, maxOutputCapture: 1000, stopLimits: null, resultsFile: join(dir, 'results.jsonl'),
    files, status: 'running',
  };
  const nc = await connectNats({ servers: fleet.server.url });
  t.teardown(() => nc.close());
  await ensureStreams(await jetStreamManagerOf(nc, fleet.server.url), { pool: 'pub1', ackWaitMs: 2000 });
  const failures: PublishFailure[] = [];
  const stored = await publishJobs({ nc, state, seqs: [1, 2, 3, 4], maxPayload: 1 << 20, onFailure: (f) => failures.push(f) });
  t.is(stored, 2);
  t.deepEqual(failures.map((f) => f.seq), [2, 3]);
  t.regex(failures[0]!.error, /cannot read task file .*\.fifo: it is a FIFO \(named pipe\), not a regular file/);
  t.regex(failures[1]!.error, /task file too large for NATS/);
});
