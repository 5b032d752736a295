import test from 'ava';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, statSync, readFileSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { runProcess, killProcessGroup, utf8CutPoint, formatSeconds, cancelExitCode } from '../../../shared/exec/index.js';
import { groupMembers, isAlive, survivors } from '../../helpers/group-members.js';

const scratch = mkdtempSync(join(tmpdir(), 'tasker-run-test-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

/** Waits until stdout contains `marker`, then records the group members of the child. */
function watchGroup(marker: string) {
  let pid = 0;
  let text = '';
  const members: number[] = [];
  return {
    members,
    onSpawn: (p: number) => (pid = p),
    onStdout: (chunk: Buffer) => {
      text += chunk.toString();
      if (members.length === 0 && text.includes(marker)) members.push(...groupMembers(pid));
    },
  };
}

const exitCodes = test.macro(async (t, script: string, expected: number) => {
  const r = await runProcess({ argv: ['sh', '-c', script] });
  t.is(r.exitCode, expected);
  t.false(r.timedOut);
  t.false(r.canceled);
});
test('exit 0', exitCodes, 'exit 0', 0);
test('exit 1', exitCodes, 'exit 1', 1);
test('exit 42', exitCodes, 'exit 42', 42);
test('killed by SIGKILL gives 137', exitCodes, 'kill -9 $$', 137);

test('captures stdout and stderr separately, with byte counts', async (t) => {
  const r = await runProcess({ argv: ['sh', '-c', 'printf "out\\nline2\\n"; printf "héllo" >&2'] });
  t.is(r.stdout, 'out\nline2\n');
  t.is(r.stderr, 'héllo');
  t.is(r.stdoutBytes, 10);
  t.is(r.stderrBytes, 6);
  t.false(r.truncated);
  t.is(r.stdoutFile, undefined);
  t.deepEqual(r.argv, ['sh', '-c', 'printf "out\\nline2\\n"; printf "héllo" >&2']);
  t.true(typeof r.pid === 'number' && r.pid > 1);
});

test('arguments are passed as argv, never through a shell', async (t) => {
  const r = await runProcess({ argv: ['printf', '%s|', 'a b', '$HOME', '*', ';echo x'] });
  t.is(r.stdout, 'a b|$HOME|*|;echo x|');
});

test('stdin is not connected (reads EOF at once)', async (t) => {
  const r = await runProcess({ argv: ['cat'] });
  t.is(r.exitCode, 0);
  t.is(r.stdout, '');
});

test('cwd and env are honoured', async (t) => {
  const r = await runProcess({ argv: ['sh', '-c', 'pwd; echo "$FOO"'], cwd: scratch, env: { ...process.env, FOO: 'bar' } });
  t.is(r.stdout, `${scratch}\nbar\n`);
});

test('onStdout/onStderr/onSpawn see every chunk', async (t) => {
  const outs: Buffer[] = [];
  const errs: Buffer[] = [];
  let spawned = 0;
  const r = await runProcess({
    argv: ['sh', '-c', 'echo one; echo two >&2; echo three'],
    onStdout: (c) => outs.push(c),
    onStderr: (c) => errs.push(c),
    onSpawn: (pid) => (spawned = pid),
  });
  t.is(Buffer.concat(outs).toString(), 'one\nthree\n');
  t.is(Buffer.concat(errs).toString(), 'two\n');
  t.is(spawned, r.pid!);
});

test('missing program: exit 127 and a readable spawnError', async (t) => {
  const r = await runProcess({ argv: ['tasker-no-such-program-xyz', 'a'] });
  t.is(r.exitCode, 127);
  t.is(r.spawnError, 'command not found: tasker-no-such-program-xyz');
  t.is(r.pid, undefined);
});

test('non-executable file: exit 126', async (t) => {
  const file = join(scratch, 'not-exec.sh');
  writeFileSync(file, '#!/bin/sh\necho hi\n');
  chmodSync(file, 0o644);
  const r = await runProcess({ argv: [file] });
  t.is(r.exitCode, 126);
  t.is(r.spawnError, `permission denied: ${file}`);
});

test('empty argv and missing cwd do not throw', async (t) => {
  const a = await runProcess({ argv: [] });
  t.is(a.exitCode, 127);
  t.truthy(a.spawnError);
  const b = await runProcess({ argv: ['true'], cwd: join(scratch, 'nope') });
  t.is(b.exitCode, 126);
  t.is(b.spawnError, `working directory does not exist: ${join(scratch, 'nope')}`);
});

test('timeout kills the whole group: exit 124, partial output kept, note appended, no survivor', async (t) => {
  const w = watchGroup('started');
  const r = await runProcess({
    argv: ['sh', '-c', 'echo started; echo partial-err >&2; sleep 100 & sleep 100'],
    timeoutMs: 1000,
    ...w,
  });
  t.is(r.exitCode, 124);
  t.true(r.timedOut);
  t.false(r.canceled);
  t.is(r.stdout, 'started\n');
  t.is(r.stderr, 'partial-err\n\nProcess killed after timeout of 1 seconds');
  t.true(w.members.length >= 2, `group had ${w.members.length} members`);
  t.deepEqual(await survivors(w.members), [], 'a group member survived');
  t.deepEqual(groupMembers(r.pid!), []);
});

test('timeout escalates to SIGKILL for a child ignoring SIGTERM', async (t) => {
  const w = watchGroup('ready');
  const r = await runProcess({
    argv: ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 1; done'],
    timeoutMs: 500,
    killGraceMs: 300,
    ...w,
  });
  t.is(r.exitCode, 124);
  t.true(r.timedOut);
  t.true(r.stderr.endsWith('\nProcess killed after timeout of 0.5 seconds'));
  t.deepEqual(await survivors(w.members), [], 'a group member survived');
});

test('timeout after the child exited on SIGTERM still kills TERM-ignoring grandchildren', async (t) => {
  const w = watchGroup('ready');
  const r = await runProcess({
    argv: ['sh', '-c', '(trap "" TERM; exec sleep 100) & echo ready; sleep 100'],
    timeoutMs: 500,
    killGraceMs: 60_000,
    ...w,
  });
  t.is(r.exitCode, 124);
  t.true(w.members.length >= 2);
  t.deepEqual(await survivors(w.members), [], 'a group member survived');
});

test('the run\'s own hurry ends the kill grace of a group ignoring SIGTERM at once (a grace the test could not outlast)', async (t) => {
  const ac = new AbortController();
  const hurry = new AbortController();
  const w = watchGroup('ready');
  const running = runProcess({
    argv: ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 1; done'],
    signal: ac.signal,
    hurry: hurry.signal,
    killGraceMs: 600_000,
    ...w,
    onStdout: (c: Buffer) => {
      w.onStdout(c);
      if (w.members.length > 0) ac.abort('SIGINT');
    },
  });
  while (!ac.signal.aborted) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  t.true((await survivors(w.members)).length > 0, 'SIGTERM is ignored: the group is in its grace');
  hurry.abort();
  const r = await running;
  t.true(r.canceled);
  t.is(r.signal, 'SIGKILL');
  t.deepEqual(await survivors(w.members), [], 'a group member survived');
});

const abortCase = test.macro(async (t, reason: unknown, expected: number) => {
  const ac = new AbortController();
  const w = watchGroup('started');
  const onStdout = (c: Buffer) => {
    w.onStdout(c);
    if (w.members.length > 0) ac.abort(reason);
  };
  const r = await runProcess({
    argv: ['sh', '-c', 'sleep 100 & echo started; sleep 100'],
    signal: ac.signal,
    onSpawn: w.onSpawn,
    onStdout,
  });
  t.true(r.canceled);
  t.false(r.timedOut);
  t.is(r.exitCode, expected);
  t.is(r.stdout, 'started\n');
  t.true(w.members.length >= 2);
  t.deepEqual(await survivors(w.members), [], 'a group member survived');
});
test('abort with SIGINT kills the group, exit 130', abortCase, 'SIGINT', 130);
test('abort with SIGTERM kills the group, exit 143', abortCase, 'SIGTERM', 143);
test('abort with another reason kills the group, exit 125', abortCase, undefined, 125);

test('an already-aborted signal does not start the program', async (t) => {
  const file = join(scratch, 'should-not-exist');
  const r = await runProcess({ argv: ['touch', file], signal: AbortSignal.abort('SIGINT') });
  t.true(r.canceled);
  t.is(r.exitCode, 130);
  t.throws(() => statSync(file));
});

test('abort signal listener is removed when the run settles', async (t) => {
  const ac = new AbortController();
  const r = await runProcess({ argv: ['sh', '-c', 'exit 0'], signal: ac.signal });
  t.is(r.exitCode, 0);
  t.is(getEventListeners(ac.signal, 'abort').length, 0);
});

test('a child that exits leaving a grandchild holding the pipes does not hang, and the grandchild is killed', async (t) => {
  const r = await runProcess({ argv: ['sh', '-c', 'sleep 300 & echo $!; echo done; exit 7'] });
  t.is(r.exitCode, 7);
  t.false(r.timedOut);
  const [bgPid, done] = r.stdout.split('\n');
  t.is(done, 'done');
  t.deepEqual(await survivors([Number(bgPid)]), [], 'the background sleep survived');
  t.deepEqual(groupMembers(r.pid!), []);
});

test('a background process that released the pipes is left alone (fire-and-forget)', async (t) => {
  let pid = 0;
  const r = await runProcess({ argv: ['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $!'] });
  pid = Number(r.stdout.trim());
  t.is(r.exitCode, 0);
  t.true(isAlive(pid));
  killProcessGroup(r.pid!, 'SIGKILL');
  // Reaped by init; wait until it is gone so nothing of ours outlives the test.
  while (isAlive(pid)) await new Promise((res) => setTimeout(res, 20));
  t.false(isAlive(pid));
});

test('spill threshold is exact: captureLimit bytes stay in memory, one more spills', async (t) => {
  const atLimit = await runProcess({ argv: ['head', '-c', '64', '/dev/zero'], captureLimit: 64, spillDir: scratch });
  t.false(atLimit.truncated);
  t.is(atLimit.stdoutFile, undefined);
  t.is(atLimit.stdout.length, 64);

  const over = await runProcess({
    argv: ['sh', '-c', 'printf "%065d" 0; printf x >&2'],
    captureLimit: 64,
    previewLimit: 10,
    spillDir: scratch,
  });
  t.true(over.truncated);
  t.is(over.stdoutBytes, 65);
  t.is(over.stdout, '0000000000');
  t.truthy(over.stdoutFile);
  t.regex(over.stdoutFile!, new RegExp(`^${scratch}/tasker_stdout_${over.pid}_[0-9a-f]+$`));
  t.is(readFileSync(over.stdoutFile!, 'utf8'), '0'.repeat(65));
  t.is(over.stderr, 'x');
  t.is(over.stderrFile, undefined);
});

test('preview is cut on a UTF-8 boundary', async (t) => {
  // "é" is 2 bytes; 6 × é = 12 bytes, preview of 5 bytes must end after 2 characters (4 bytes).
  const r = await runProcess({ argv: ['printf', 'éééééé'], captureLimit: 8, previewLimit: 5, spillDir: scratch });
  t.true(r.truncated);
  t.is(r.stdout, 'éé');
  t.is(readFileSync(r.stderrFile ?? r.stdoutFile!, 'utf8'), 'éééééé');
  t.is(utf8CutPoint(Buffer.from('aé'), 2), 1);
  t.is(utf8CutPoint(Buffer.from('aé'), 3), 3);
  t.is(utf8CutPoint(Buffer.from('a€b'), 3), 1);
});

test('timeout note also reaches a spilled stderr and its preview', async (t) => {
  const r = await runProcess({
    argv: ['sh', '-c', 'head -c 100 /dev/zero | tr "\\0" e >&2; sleep 100'],
    timeoutMs: 700,
    captureLimit: 50,
    previewLimit: 20,
    spillDir: scratch,
  });
  t.true(r.timedOut);
  t.is(r.stderr, `${'e'.repeat(20)}\nProcess killed after timeout of 0.7 seconds`);
  t.is(readFileSync(r.stderrFile!, 'utf8'), `${'e'.repeat(100)}\nProcess killed after timeout of 0.7 seconds`);
});

test('1 GB of output spills to a file of full size with bounded memory', async (t) => {
  const size = 1_000_000_000;
  let seen = 0;
  const r = await runProcess({
    argv: ['head', '-c', String(size), '/dev/zero'],
    spillDir: scratch,
    onStdout: (c) => (seen += c.length),
  });
  try {
    t.is(r.exitCode, 0);
    t.true(r.truncated);
    t.is(r.stdoutBytes, size);
    t.is(seen, size);
    t.is(Buffer.byteLength(r.stdout), 100 * 1024);
    t.is(statSync(r.stdoutFile!).size, size);
    const rss = process.memoryUsage().rss;
    t.true(rss < 400 * 1024 * 1024, `rss ${Math.round(rss / 1048576)} MB`);
  } finally {
    if (r.stdoutFile) rmSync(r.stdoutFile, { force: true });
  }
});

test('formatSeconds and cancelExitCode', (t) => {
  t.is(formatSeconds(30_000), '30');
  t.is(formatSeconds(1500), '1.5');
  t.is(formatSeconds(250), '0.25');
  t.is(cancelExitCode('SIGINT'), 130);
  t.is(cancelExitCode('SIGTERM'), 143);
  t.is(cancelExitCode(new Error('x')), 125);
});

test('killProcessGroup never throws for a group that is gone or invalid', (t) => {
  t.notThrows(() => killProcessGroup(999_999_999, 'SIGTERM'));
  t.notThrows(() => killProcessGroup(0, 'SIGTERM'));
  t.notThrows(() => killProcessGroup(1, 'SIGTERM'));
});

test('a throwing listener neither crashes the run nor loses output', async (t) => {
  const r = await runProcess({
    argv: ['sh', '-c', 'echo a; echo b >&2'],
    onStdout: () => {
      throw new Error('listener bug');
    },
    onSpawn: () => {
      throw new Error('listener bug');
    },
  });
  t.is(r.exitCode, 0);
  t.is(r.stdout, 'a\n');
  t.is(r.stderr, 'b\n');
});

test('the runner uses the native launcher when a C compiler built it, else Node spawn', async (t) => {
  const { getLauncher } = await import('../../../shared/exec/launcher.js');
  if (process.env['TASKER_LAUNCHER'] === 'off') {
    t.is(getLauncher(), undefined);
    return;
  }
  const { execFileSync } = await import('node:child_process');
  let haveCompiler = true;
  try {
    execFileSync('sh', ['-c', 'command -v cc || command -v gcc || command -v clang'], { stdio: 'ignore' });
  } catch {
    haveCompiler = false;
  }
  t.is(getLauncher() !== undefined, haveCompiler, 'npm run build must build dist/native/tasker-launch where cc exists');
});

test('discardOutput keeps nothing: bytes are counted, every chunk reaches the listener, no spill file', async (t) => {
  const dir = mkdtempSync(join(scratch, 'discard-'));
  let seen = 0;
  const r = await runProcess({
    argv: ['head', '-c', String(3 * 1024 * 1024), '/dev/zero'],
    captureLimit: 1024,
    spillDir: dir,
    discardOutput: true,
    onStdout: (c) => {
      seen += c.length;
    },
  });
  t.is(r.exitCode, 0);
  t.is(r.stdoutBytes, 3 * 1024 * 1024);
  t.is(seen, 3 * 1024 * 1024);
  t.is(r.stdout, '');
  t.is(r.stdoutFile, undefined);
  t.deepEqual(readdirSync(dir), []);
});

test('a process outside the group that keeps writing to the pipes after a normal exit: the run ends, and stderr says the output was not read to the end', async (t) => {
  // The daemon ignores SIGPIPE: once the run stops reading, its writes fail but it lives on, so
  // whether it is alive afterwards says only whether the run killed it.
  const script = 'setsid sh -c \'trap "" PIPE; echo $$; while :; do echo more 2>/dev/null; sleep 0.05; done\' & sleep 0.3; echo done; exit 0';
  const r = await runProcess({ argv: ['sh', '-c', script] });
  const daemon = Number(r.stdout.split('\n')[0]);
  t.teardown(() => {
    try {
      process.kill(daemon, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  t.is(r.exitCode, 0);
  t.true(r.stdout.includes('done\n'));
  t.regex(r.stderr, /stdout and stderr not read to the end: a process outside the task's group kept the pipe open$/);
  await delay(200); // several of its writes later
  t.true(isAlive(daemon), 'a process that left the group on purpose is not killed after a normal exit');
});
