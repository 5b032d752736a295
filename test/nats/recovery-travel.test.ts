/**
 * `--auto-recovery` state travels with a distributed task file (docs/nats.md "Recovery state travels
 * with the file"): kept on the controller where a local run keeps it, sent with the file's job,
 * resumed from on whichever agent takes it, dropped when the file succeeds. Real nats-server, real
 * agent processes, the built parallelr bin.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, readResults, runParallelrBin, startWorker, useNatsFleet, taskerHomeEnv } from './fleet.js';

const fleet = useNatsFleet(test);
const TASKER = join(ROOT, 'dist/controller/cli/tasker.cjs');

const recoveryFiles = (home: string) => (existsSync(join(home, 'TASKER', 'recovery')) ? readdirSync(join(home, 'TASKER', 'recovery')) : []);

/**
 * A directory holding `tasks/deploy.txt`, whose task 0 marks `marks` and task 1 marks it and fails
 * until `flag` exists; `home` for the controller, and the parallelr arguments of run `n` on `pool`.
 */
function deployDir(pool: string) {
  const dir = mkdtempSync(join(tmpdir(), `tasker-${pool}-`));
  const marks = join(dir, 'marks');
  const flag = join(dir, 'flag');
  mkdirSync(join(dir, 'tasks'));
  writeFileSync(join(dir, 'tasks', 'deploy.txt'), [
    'task=0', 'hostname=localhost', 'command=sh', `arguments=-c "echo zero >> ${marks}"`, 'exec=local', '',
    'task=1', 'hostname=localhost', 'command=sh', `arguments=-c "echo one >> ${marks}; test -e ${flag}"`, 'exec=local', '',
  ].join('\n'));
  const args = (n: number, ...more: string[]) => [
    '-T', join(dir, 'tasks'), '-C', `node ${TASKER} -r --auto-recovery @TASK@`, '-r', ...more, '--nats', fleet.server.url, '--pool', pool, '--results', join(dir, `results-${n}.jsonl`),
  ];
  return { dir, marks, flag, home: join(dir, 'controller'), args };
}

test.serial('a failed file resumes at its failed task: on another agent, and in a local run on the controller (one state, the controller\'s), dropped on success', async (t) => {
  const { dir, marks, flag, home, args } = deployDir('recovery');

  const homeA = join(dir, 'agent-a');
  const a = await startWorker(fleet.server.url, { name: 'rec-a', pool: 'recovery', max: 1, env: { HOME: homeA } });
  fleet.workers.push(a);
  const first = await runParallelrBin(args(1), taskerHomeEnv(home));
  t.is(first.code, 1, first.err + first.out);
  t.like(readResults(join(dir, 'results-1.jsonl'))[0], { status: 'FAILED', failed_task: '1', task_exit_code: 1 });
  t.deepEqual(readFileSync(marks, 'utf8').split('\n'), ['zero', 'one', '']);
  // Kept where a local run of the same command keeps it, naming the file on this side; none left on the agent.
  const [kept] = recoveryFiles(home);
  t.regex(kept ?? '', /^deploy_[0-9a-f]{8}\.recovery\.json$/);
  t.is(JSON.parse(readFileSync(join(home, 'TASKER', 'recovery', kept!), 'utf8')).task_file_path, join(dir, 'tasks', 'deploy.txt'));
  t.deepEqual(recoveryFiles(homeA), []);
  await a.stop();
  fleet.workers.splice(0);

  // The same state is the one a local run of the file here resumes from (it fails again: the state is kept).
  const local = spawnSync(process.execPath, [TASKER, '-r', '--auto-recovery', join(dir, 'tasks', 'deploy.txt')], { env: { ...process.env, ...taskerHomeEnv(home) }, encoding: 'utf8' });
  t.is(local.status, 10, local.stdout + local.stderr);
  t.regex(local.stdout, /Resuming \S+deploy\.txt at task 1 from \S+deploy_[0-9a-f]{8}\.recovery\.json/);
  t.deepEqual(readFileSync(marks, 'utf8').split('\n'), ['zero', 'one', 'one', '']);

  // Another agent, another HOME: the state comes with the job.
  const homeB = join(dir, 'agent-b');
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'rec-b', pool: 'recovery', max: 1, env: { HOME: homeB } }));
  writeFileSync(flag, '');
  const second = await runParallelrBin(args(2), taskerHomeEnv(home));
  t.is(second.code, 0, second.err + second.out);
  t.deepEqual(readFileSync(marks, 'utf8').split('\n'), ['zero', 'one', 'one', 'one', ''], 'resumed at task 1: task 0 did not run again');
  t.deepEqual(recoveryFiles(home), [], 'dropped once the file succeeded');
  t.deepEqual(recoveryFiles(homeB), []);
  for (const w of fleet.workers.splice(0)) await w.stop();
});

test.serial('started as a process (--no-in-process): the state the job brings is the one the run resumes from, and it comes back; none left on the agents', async (t) => {
  const { dir, marks, flag, home, args } = deployDir('recovery-proc');

  const homeA = join(dir, 'agent-a');
  const a = await startWorker(fleet.server.url, { name: 'recp-a', pool: 'recovery-proc', max: 1, env: { HOME: homeA } });
  fleet.workers.push(a);
  const first = await runParallelrBin(args(1, '--no-in-process'), taskerHomeEnv(home));
  t.is(first.code, 1, first.err + first.out);
  t.like(readResults(join(dir, 'results-1.jsonl'))[0], { status: 'FAILED', task_exit_code: 1 });
  const [kept] = recoveryFiles(home);
  t.regex(kept ?? '', /^deploy_[0-9a-f]{8}\.recovery\.json$/, 'kept on the controller, named after its file');
  t.is(JSON.parse(readFileSync(join(home, 'TASKER', 'recovery', kept!), 'utf8')).task_file_path, join(dir, 'tasks', 'deploy.txt'));
  t.deepEqual(recoveryFiles(homeA), [], 'the started tasker\'s own state was shipped and removed');
  await a.stop();
  fleet.workers.splice(0);

  // Another agent, another HOME, again as a process: told where the state is (--recovery-file).
  const homeB = join(dir, 'agent-b');
  const workB = join(dir, 'work-b');
  const b = await startWorker(fleet.server.url, { name: 'recp-b', pool: 'recovery-proc', max: 1, env: { HOME: homeB }, workdir: workB });
  fleet.workers.push(b);
  const again = await runParallelrBin(args(2, '--no-in-process'), taskerHomeEnv(home));
  t.is(again.code, 1, again.err + again.out);
  t.deepEqual(readFileSync(marks, 'utf8').split('\n'), ['zero', 'one', 'one', ''], 'resumed at task 1 from the state the job brought');
  t.deepEqual(recoveryFiles(home), [kept], 'still kept: the file failed again');
  t.deepEqual(recoveryFiles(homeB), []);

  writeFileSync(flag, '');
  const third = await runParallelrBin(args(3, '--no-in-process'), taskerHomeEnv(home));
  t.is(third.code, 0, third.err + third.out);
  t.deepEqual(readFileSync(marks, 'utf8').split('\n'), ['zero', 'one', 'one', 'one', ''], 'resumed at task 1 again: task 0 never ran twice');
  t.deepEqual(recoveryFiles(home), [], 'dropped once the file succeeded');
  t.deepEqual(recoveryFiles(homeB), []);
  // Only the slot's own workspace stays (reused by its next job), empty.
  t.deepEqual(readdirSync(workB, { recursive: true }).filter((n) => !/^job-slot1-p\d+-\w+$/.test(String(n))), [], 'no records directory (nor state) left in the agent\'s workdir');
  for (const w of fleet.workers.splice(0)) await w.stop();
});
