import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';

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
  const first = await runTaskerInProcess(args, { cwd: dir, env: { TASKER_TEST_DEPLOY_HOST: 'server001' } });
  t.is(first.code, 10, first.stdout + first.stderr);
  const second = await runTaskerInProcess(args, { cwd: dir, env: { TASKER_TEST_DEPLOY_HOST: undefined } });
  t.is(second.code, 0, second.stdout + second.stderr);
  t.regex(second.stdout, /\$TASKER_TEST_DEPLOY_HOST is not set now; using the saved value 'server001'/);
  t.notRegex(second.stdout + second.stderr, /stays literal/);
  t.regex(second.stdout, /then server001/);
  // Without saved state the validator tells: a global a task uses needs its variable (SPEC §2a).
  const fresh = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs-fresh')], { cwd: dir, env: { TASKER_TEST_DEPLOY_HOST: undefined } });
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
  const plain = await runTaskerInProcess(['f.txt', '-l', join(dir, 'logs')], { cwd: dir });
  t.regex(plain.stderr, /task 10 can never run/);
  const resumed = await runTaskerInProcess(['-r', 'f.txt', '--start-from', '10', '-l', join(dir, 'logs')], { cwd: dir });
  t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
  t.notRegex(resumed.stderr, /can never run/);
  t.regex(resumed.stdout, /Task 11: Completed/);
});
