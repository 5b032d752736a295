import test from 'ava';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnTasker, tempDir } from '../../helpers/run-cli.js';

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

test('resuming with a saved value for an unset environment variable says so once, without the validator contradicting it', async (t) => {
  const dir = tempDir();
  const flag = join(dir, 'fail-once');
  writeFileSync(flag, '');
  writeFileSync(
    join(dir, 'f.txt'),
    [
      'HOST=$TASKER_TEST_DEPLOY_HOST',
      'task=0', 'hostname=localhost', 'exec=local', 'command=echo', 'arguments=first @HOST@', '',
      // Fails while the flag file exists (removing it), so the second run resumes here.
      'task=1', 'hostname=localhost', 'exec=local', 'command=sh', `arguments=-c "if [ -e ${flag} ]; then rm ${flag}; exit 1; fi"`, '',
      'task=2', 'hostname=localhost', 'exec=local', 'command=echo', 'arguments=then @HOST@', '',
    ].join('\n'),
  );
  const args = ['-r', 'f.txt', '-l', join(dir, 'logs'), '--auto-recovery', '-y'];
  const first = await spawnTasker(args, { cwd: dir, env: { TASKER_TEST_DEPLOY_HOST: 'server001' } });
  t.is(first.code, 10, first.stdout + first.stderr);
  const second = await spawnTasker(args, { cwd: dir, env: { TASKER_TEST_DEPLOY_HOST: undefined } });
  t.is(second.code, 0, second.stdout + second.stderr);
  t.regex(second.stdout, /\$TASKER_TEST_DEPLOY_HOST is not set now; using the saved value 'server001'/);
  t.notRegex(second.stdout + second.stderr, /stays literal/);
  t.regex(second.stdout, /then server001/);
  // Without saved state the validator tells: a global a task uses needs its variable (SPEC §2a).
  const fresh = await spawnTasker(['-r', 'f.txt', '-l', join(dir, 'logs-fresh')], { cwd: dir, env: { TASKER_TEST_DEPLOY_HOST: undefined } });
  t.is(fresh.code, 20, fresh.stdout + fresh.stderr);
  t.regex(fresh.stderr, /f\.txt:1:6: error\[UNSET_ENV_VAR\] global 'HOST' uses \$TASKER_TEST_DEPLOY_HOST, which is not set/);
});

test('--start-from counts as an entry point: the tasks it leads to are not reported as unreachable', async (t) => {
  const dir = tempDir();
  // Task 0 ends the flow; 10 and 11 are reached only by starting at 10.
  writeFileSync(
    join(dir, 'f.txt'),
    ['task=0', 'hostname=localhost', 'exec=local', 'command=true', 'next=never', '',
      'task=10', 'hostname=localhost', 'exec=local', 'command=true', '',
      'task=11', 'hostname=localhost', 'exec=local', 'command=true', ''].join('\n'),
  );
  const plain = await spawnTasker(['f.txt', '-l', join(dir, 'logs')], { cwd: dir });
  t.regex(plain.stderr, /task 10 can never run/);
  const resumed = await spawnTasker(['-r', 'f.txt', '--start-from', '10', '-l', join(dir, 'logs')], { cwd: dir });
  t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
  t.notRegex(resumed.stderr, /can never run/);
  t.regex(resumed.stdout, /Task 11: Completed/);
});
