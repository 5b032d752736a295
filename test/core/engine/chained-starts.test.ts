// The launcher starts the next task of a plain sequence the moment the current one exits with
// status 0 (the engine's chainTarget). These tests hold it to the engine's own rules: the next task
// starts only after the previous one ended, never after a failure or a kill, and never when it
// depends on what the previous task produced.
import test from 'ava';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesWith, tempDir } from '../../helpers/run-cli.js';
import { readRunJson, runTaskFile, runTracedSequence, task } from '../../helpers/task-files.js';
import { processesMatching } from '../../helpers/agent-process.js';
import { getLauncher } from '../../../shared/exec/launcher.js';
import { runTasker } from '../../../controller/cli/tasker-main.js';

test('a plain sequence runs each task after the previous one ended, in order, each once', async (t) => {
  await runTracedSequence(t, tempDir(), 30);
});

test('the task after a failing one never starts', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), task(0, 'true', '') + task(1, 'sh', '-c "exit 3"') + task(2, 'touch', join(dir, 'ran')));
  const { r, json } = await runTaskFile(dir);
  t.is(r.code, 10);
  t.false(existsSync(join(dir, 'ran')), 'task 2 did not run');
  t.deepEqual(json.execution_summary.execution_path, [0, 1]);
});

test('a task killed at its timeout gets no follower, even when it exits 0 on SIGTERM', async (t) => {
  const dir = tempDir();
  // The shell turns the timeout's SIGTERM into exit status 0: the launcher must not take that for success.
  writeFileSync(join(dir, 'f.txt'), task(0, 'sh', '-c "trap \'exit 0\' TERM; sleep 30 & wait"', 'timeout=5') + task(1, 'touch', join(dir, 'ran')));
  const { r, json } = await runTaskFile(dir);
  t.is(r.code, 10, r.stdout);
  t.false(existsSync(join(dir, 'ran')), 'task 1 did not run');
  t.true(json.task_results['0']!.timed_out);
  t.deepEqual(json.execution_summary.execution_path, [0]);
});

test('a next task that uses the previous output waits for it (not started ahead) and sees it', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), task(0, 'echo', 'first') + task(1, 'echo', 'got @0_stdout@') + task(2, 'echo', 'third'));
  const { r, json } = await runTaskFile(dir);
  t.is(r.code, 0, r.stderr);
  t.is(json.task_results['1']!.stdout, 'got first\n');
  t.is(json.task_results['2']!.stdout, 'third\n');
});

test('on_success is followed ahead too, and the skipped tasks stay skipped', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), task(0, 'true', '', 'on_success=2') + task(1, 'touch', join(dir, 'ran')) + task(2, 'echo', 'two'));
  const { r, json } = await runTaskFile(dir);
  t.is(r.code, 0, r.stderr);
  t.false(existsSync(join(dir, 'ran')));
  t.deepEqual(json.execution_summary.execution_path, [0, 2]);
});

test('a next task whose program does not exist fails as it would have without starting ahead', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), task(0, 'true', '') + task(1, 'no-such-program-9d1', 'x') + task(2, 'touch', join(dir, 'ran')));
  const { r, json } = await runTaskFile(dir);
  t.is(r.code, 10);
  t.false(existsSync(join(dir, 'ran')));
  t.is(json.task_results['1']!.exit_code, 127);
  t.deepEqual(json.execution_summary.execution_path, [0, 1]);
});

test('a stop that lands between a task\'s end and its started-ahead successor: the successor goes through the engine, cancelled', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), task(0, 'true', '') + task(1, 'echo', 'ready') + task(2, 'sleep', '9894'));
  const stop = new AbortController();
  let out = '';
  const io = {
    stdout: {
      write: (text: string) => {
        out += text;
        // Task 1's output is being handled, so tasker has handed task 2 to the launcher with it.
        // Hold the event loop until the launcher has started task 2 (task 1 ended with status 0),
        // then stop: tasker sees the stop before it sees either, which is the window an
        // operator's Ctrl-C can hit.
        if (text.includes('Task 1: STDOUT: ready') && !stop.signal.aborted) {
          for (const until = Date.now() + 20_000; processesMatching('sleep 9894').length === 0 && Date.now() < until;) {
            /* busy: no event is processed */
          }
          stop.abort('SIGINT');
        }
      },
    },
    stderr: { write: (text: string) => (out += text) },
    env: Object.freeze({ ...process.env }),
    cwd: dir,
    isTTY: false,
    signal: stop.signal,
  };
  const code = await runTasker(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], io);
  t.is(code, 130, out);
  const json = readRunJson(dir);
  t.deepEqual(json.execution_summary.execution_path, [0, 1, 2]);
  t.is(json.task_results['1']!.exit_code, 0, 'task 1 ended on its own before the stop reached it');
  t.is(json.task_results['2']!.exit_code, 130);
  t.notRegex(out, /started ahead/, 'not discarded unrecorded');
  t.deepEqual(await processesWith('sleep 9894'), []);
});

// The launcher protocol underneath, driven directly.
const env = Object.freeze({ PATH: process.env.PATH ?? '/usr/bin:/bin' });

test('launcher: a program started ahead after its predecessor already exited 0 starts at once', async (t) => {
  const launcher = getLauncher();
  t.truthy(launcher, 'the launcher is built');
  const first = await launcher!.start(['true'], undefined, env);
  first.stdout.resume();
  first.stderr.resume();
  t.deepEqual(await first.exited, { code: 0, signal: null });
  const next = await first.startAhead!(['sh', '-c', 'echo late'], undefined, env).started;
  t.truthy(next);
  let out = '';
  next!.stdout.on('data', (d: Buffer) => (out += d.toString()));
  next!.stderr.resume();
  await new Promise((resolve) => next!.stdout.once('close', resolve));
  t.deepEqual(await next!.exited, { code: 0, signal: null });
  t.is(out, 'late\n');
});

test('launcher: nothing started ahead after a non-zero exit, a signal, or a cancel', async (t) => {
  const launcher = getLauncher()!;
  const failing = await launcher.start(['sh', '-c', 'exit 1'], undefined, env);
  const afterFailure = failing.startAhead!(['touch', '/nonexistent/never'], undefined, env);
  t.is(await afterFailure.started, undefined);

  const killed = await launcher.start(['sleep', '30'], undefined, env);
  const afterKill = killed.startAhead!(['true'], undefined, env);
  process.kill(-killed.pid, 'SIGKILL');
  t.is(await afterKill.started, undefined);

  // The predecessor ends (status 0) only once the marker exists, which is after the cancel was sent.
  const dir = tempDir();
  const cancelled = await launcher.start(['sh', '-c', `while [ ! -e ${dir}/go ]; do sleep 0.01; done`], undefined, env);
  const afterCancel = cancelled.startAhead!(['touch', `${dir}/followed`], undefined, env);
  afterCancel.cancel();
  writeFileSync(join(dir, 'go'), '');
  t.is(await afterCancel.started, undefined);
  t.deepEqual(await cancelled.exited, { code: 0, signal: null }, 'the predecessor itself ran to its end');
  t.false(existsSync(join(dir, 'followed')));
});
