/** `--rerun-failed RESULTS.jsonl --nats URL` (issue 14, item 4): only what did not succeed is published again. */
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSandbox, runCli } from '../controller/parallelr/helpers.js';
import { readResults, ROOT, startWorker, useNatsFleet } from './fleet.js';

const fleet = useNatsFleet(test);

test.serial('a distributed run again over the files that failed', async (t) => {
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'r1', pool: 'rerun', max: 2 }));
  const sb = makeSandbox();
  const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
  const dir = join(sb.dir, 'rtasks');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a.sh'), 'true\n');
  writeFileSync(join(dir, 'b.sh'), 'exit 4\n');
  writeFileSync(join(dir, 'c.sh'), 'true\n');
  const first = join(sb.dir, 'first.jsonl');
  const nats = ['--nats', fleet.server.url, '--pool', 'rerun'];
  const r1 = await runCli(sb, ['-T', dir, '-C', '/bin/sh @TASK@', '-r', ...nats, '--results', first], env);
  t.is(r1.code, 1, r1.output);
  t.deepEqual(readResults(first).filter((r) => r.status !== 'SUCCESS').map((r) => r.task_file), [join(dir, 'b.sh')]);
  writeFileSync(join(dir, 'b.sh'), 'echo fixed\n');
  const second = join(sb.dir, 'second.jsonl');
  const r2 = await runCli(sb, ['--rerun-failed', first, '-C', '/bin/sh @TASK@', '-r', ...nats, '--results', second], env);
  t.is(r2.code, 0, r2.output);
  t.regex(r2.output, /Distributed run \S+: 1 task files via NATS/);
  t.deepEqual(readResults(second).map((r) => `${r.task_file} ${r.status} ${r.agent}`), [`${join(dir, 'b.sh')} SUCCESS r1`]);
});

test.serial('distributed tasker files: a failing one records its task\'s own exit code, a broken one its first diagnostics', async (t) => {
  const sb = makeSandbox();
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'd1', pool: 'detail', max: 2, env: { HOME: sb.home } }));
  const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
  const dir = join(sb.dir, 'ttasks');
  mkdirSync(dir);
  writeFileSync(join(dir, 'failing.txt'), 'task=0\nhostname=localhost\ncommand=sh\narguments=-c "exit 7"\nexec=local\n');
  writeFileSync(join(dir, 'broken.txt'), 'task=0\nhostname=localhost\nexec=local\n');
  const results = join(sb.dir, 'r.jsonl');
  const tasker = `${process.execPath} ${join(ROOT, 'dist/controller/cli/tasker.cjs')} -r @TASK@`;
  const r = await runCli(sb, ['-T', dir, '-C', tasker, '-r', '--nats', fleet.server.url, '--pool', 'detail', '--results', results], env);
  t.is(r.code, 1, r.output);
  const rows = Object.fromEntries(readResults(results).map((x) => [x.task_file!.slice(dir.length + 1), x]));
  t.is(rows['failing.txt']!.exit_code, 10);
  t.is(rows['failing.txt']!.task_exit_code, 7);
  t.is(rows['failing.txt']!.error_message, 'Exit code 10: task 0 exited 7');
  t.regex(r.output, /FAILED: exit 10 \(task exit 7\), [\d.]+s \S+failing\.txt on d1#\d/);
  t.is(rows['broken.txt']!.exit_code, 20);
  t.regex(rows['broken.txt']!.error_message, /^Exit code 20: \S+broken\.txt:1:1: error\[MISSING_COMMAND\] task 0 has no command/);
  t.regex(r.output, /FAILED: exit 20, [\d.]+s \S+broken\.txt on d1#\d \(\d\/2 done\)\n    \S+broken\.txt:1:1: error\[MISSING_COMMAND\]/);
});
