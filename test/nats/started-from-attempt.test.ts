/**
 * Issue 14, throughput (second pass): an agent no longer sends a live `started` notice per job; the
 * attempt it stores when it claims the job (with its slot) is how the controller learns the job
 * started. The controller's live progress (seen through `parallelr --watch`) still counts the jobs
 * running, and nothing is published on `tasker.progress.<run>` by the agent.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, RESULTS_STREAM, parseStoredMessage, subjects } from '../../shared/nats/index.js';
import { makeSandbox, startCli } from '../controller/parallelr/helpers.js';
import { ROOT, startWorker, useNatsFleet, waitFor } from './fleet.js';

const fleet = useNatsFleet(test);
const CLI = join(ROOT, 'controller/cli/parallelr.ts');

test.serial('jobs show running from their stored attempts (with the slot); the agent sends no started notice', async (t) => {
  const sb = makeSandbox();
  const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'sa1', pool: 'attempts', max: 2 }));
  const nc = await connectNats({ servers: fleet.server.url });
  const notices: string[] = [];
  nc.subscribe('tasker.progress.>', { callback: (_e, m) => notices.push(new TextDecoder().decode(m.data)) });
  const dir = join(sb.dir, 'started-tasks');
  mkdirSync(dir);
  const go = join(sb.dir, 'go');
  for (const name of ['a', 'b']) writeFileSync(join(dir, `${name}.sh`), `while [ ! -e ${go} ]; do sleep 0.05; done\n`);
  const ctl = startCli(sb, ['-T', dir, '-C', '/bin/sh @TASK@', '-r', '--nats', fleet.server.url, '--pool', 'attempts'], env);
  try {
    await waitFor(() => /Distributed run (\S+):/.test(ctl.output()));
    const runId = /Distributed run (\S+):/.exec(ctl.output())![1]!;
    const w = spawn(process.execPath, ['--import', 'tsx', CLI, '--watch', runId], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    w.stdout!.on('data', (d) => (out += d));
    const watched = new Promise<number | null>((r) => w.on('close', r));
    // Both jobs wait for `go`: the controller counts them running only from their attempts.
    await waitFor(() => /^Progress: 0\/2 done \(0 ok, 0 failed\), 2 running$/m.test(out) || w.exitCode !== null);
    t.regex(out, /^Progress: 0\/2 done \(0 ok, 0 failed\), 2 running$/m);
    writeFileSync(go, '');
    t.is(await watched, 0);
    t.regex(out, /^Progress: 2\/2 done \(2 ok, 0 failed\), 0 running$/m);
    t.false(notices.some((n) => n.includes('"type":"started"')), notices.join('\n'));

    // Each job's first stored message is the attempt, naming the slot that ran it.
    const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(nc);
    const slots: number[] = [];
    for (const seq of [1, 2]) {
      const m = await jsm.streams.getMessage(RESULTS_STREAM, { next_by_subj: subjects.jobResult(runId, seq), seq: 0 });
      const stored = parseStoredMessage(m!.data);
      t.is(stored.kind, 'attempt');
      if (stored.kind === 'attempt') slots.push(stored.value.worker ?? -1);
    }
    t.deepEqual(slots.sort(), [1, 2]);
  } finally {
    await nc.close();
    await new Promise<unknown>((r) => (ctl.exitCode !== null ? r(ctl.exitCode) : ctl.on('close', r)));
  }
});
