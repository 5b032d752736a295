// Built bin: the instance lock is held between two tasker processes, and recovery follows a kill -9 of one.
import test from 'ava';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnTasker, tempDir } from '../helpers/run-cli.js';

/** SIGKILL the pid only if it is still our tasker (never a recycled pid). */
function killIfStillTasker(pid: number): void {
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tasker.js')) process.kill(pid, 'SIGKILL');
  } catch {
    /* already finished */
  }
}

test('two concurrent --instance-check runs of one workflow: the second is refused with exit 25', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=sleep\narguments=3\n');
  const env = { HOME: dir };
  let secondStarted: Promise<Awaited<ReturnType<typeof spawnTasker>>> | undefined;
  const first = spawnTasker(['-r', 'f.txt', '-l', join(dir, 'logs'), '--instance-check'], {
    cwd: dir, env,
    onStdout: (out) => {
      if (!secondStarted && out.includes('Task 0: Executing')) secondStarted = spawnTasker(['-r', 'f.txt', '-l', join(dir, 'logs'), '--instance-check'], { cwd: dir, env });
    },
  });
  const one = await first;
  const two = await secondStarted!;
  t.is(one.code, 0, one.stdout + one.stderr);
  t.is(two.code, 25, two.stdout + two.stderr);
  t.regex(two.stdout, new RegExp(`${one.pid}`), 'the refusal names the PID holding the lock');
  // The lock is released at the end: a third run gets it.
  t.is((await spawnTasker(['-r', 'f.txt', '-l', join(dir, 'logs'), '--instance-check'], { cwd: dir, env })).code, 0);
});

test('kill -9 at a random point, then --auto-recovery finishes the workflow running each task the right number of times', async (t) => {
  for (let round = 0; round < 3; round++) {
    const dir = tempDir();
    const ledger = join(dir, 'ledger');
    // Ten tasks; each appends its id to the ledger and takes a little time.
    const tasks = Array.from({ length: 10 }, (_, i) => `task=${i}\nhostname=localhost\nexec=local\ncommand=sh\narguments=-c "sleep 0.15; echo ${i} >> ${ledger}"\n`).join('\n');
    writeFileSync(join(dir, 'f.txt'), tasks);
    const args = ['-r', 'f.txt', '-l', join(dir, 'logs'), '--auto-recovery'];
    const killAfter = 300 + Math.floor(Math.random() * 1000);
    let scheduled = false;
    const first = await spawnTasker(args, {
      cwd: dir,
      onStdout: (_out, pid) => {
        if (scheduled) return;
        scheduled = true;
        void delay(killAfter).then(() => killIfStillTasker(pid));
      },
    });
    if (first.signal !== 'SIGKILL') continue; // finished before the kill: nothing to recover this round
    const second = await spawnTasker(args, { cwd: dir });
    t.is(second.code, 0, second.stdout + second.stderr);
    const ran = readFileSync(ledger, 'utf8').trim().split('\n').map(Number);
    // Every task ran; a task in flight when killed may have run twice (it did not checkpoint), no other.
    for (let i = 0; i < 10; i++) t.true(ran.includes(i), `task ${i} ran (round ${round}, killed after ${killAfter} ms)`);
    const twice = [...new Set(ran.filter((id, i) => ran.indexOf(id) !== i))];
    t.true(twice.length <= 1, `at most the interrupted task ran twice, got ${twice.join(',')}`);
    appendFileSync(join(dir, 'done'), 'ok');
  }
});
