/** runDistributedCli: what `parallelr --nats/--pool/--resume` calls. Settings from the parallelr config files. */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistributedCli } from '../../controller/nats/cli-entry.js';
import type { TaskEntry } from '../../controller/parallelr/types.js';
import { makeTaskFiles, readResults, recordingIo, startWorker, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);
const workers = fleet.workers;

const entriesOf = (files: { taskFile: string; path: string }[]): TaskEntry[] =>
  files.map((f, i) => ({ index: i + 1, taskFile: f.taskFile, taskPath: f.path, arguments: [], envVars: {} }));

test.serial('url and pool from the user config file (overriding the installation file), results where --results says', async (t) => {
  workers.push(await startWorker(fleet.server.url, { name: 'c1', pool: 'cfgpool', max: 2 }));
  const { dir, files } = makeTaskFiles(6, (i) => `echo ${i}\n`);
  const installation = join(dir, 'installation.yaml');
  const user = join(dir, 'user.yaml');
  writeFileSync(installation, 'limits:\n  max_workers: 4\nnats:\n  url: nats://127.0.0.1:1\n  pool: wrong\n');
  writeFileSync(user, `nats:\n  url: ${fleet.server.url}\n  pool: cfgpool\n  ack_wait: 2\n`);
  const io = recordingIo({ PARALLELR_HOME: dir, TASKER_NATS_STATE_DIR: join(dir, 'runs') });
  const code = await runDistributedCli(
    { entries: entriesOf(files), command: '/bin/sh @TASK@', timeoutSeconds: 10, resultsFile: join(dir, 'r.jsonl'), configFiles: [installation, join(dir, 'missing.yaml'), user] },
    io,
  );
  t.is(code, 0, io.err());
  const records = readResults(join(dir, 'r.jsonl'));
  t.is(records.length, 6);
  t.true(records.every((r) => r.agent === 'c1' && r.status === 'SUCCESS'));
  const runId = /Distributed run (\S+):/.exec(io.out())![1]!;

  // --resume of a finished run re-reads its results and rewrites nothing.
  const again = recordingIo({ PARALLELR_HOME: dir, TASKER_NATS_STATE_DIR: join(dir, 'runs') });
  t.is(await runDistributedCli({ resume: runId, configFiles: [user] }, again), 0, again.err());
  t.regex(again.out(), new RegExp(`Run ${runId} already finished`));
  t.is(readResults(join(dir, 'r.jsonl')).length, 6);
  for (const w of workers.splice(0)) await w.stop();
});

test.serial('arguments mode is refused with a clear message; a bad config value names the file', async (t) => {
  const { dir, files } = makeTaskFiles(1, () => 'true\n');
  const io = recordingIo();
  const entries = entriesOf(files).map((e) => ({ ...e, arguments: ['x'] }));
  t.is(await runDistributedCli({ nats: fleet.server.url, entries, command: 'echo @ARG@' }, io), 2);
  t.is(io.err(), 'parallelr: --nats distributes task files (-T) only; arguments mode (-A/-E) runs locally\n');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'nats:\n  ack_wait: never\n');
  const io2 = recordingIo();
  t.is(await runDistributedCli({ nats: fleet.server.url, entries: entriesOf(files), command: '/bin/true @TASK@', configFiles: [bad] }, io2), 1);
  t.is(io2.err(), `parallelr: ${bad}: nats.ack_wait must be a number of seconds from 1 to 86400, got \`never\`\n`);
});
