import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProcess } from '../../../shared/exec/run-process.js';
import { getLauncher, launcherBinary } from '../../../shared/exec/launcher.js';
import { groupMembers, isAlive, survivors } from '../../helpers/group-members.js';
import { ALL_DAEMONS, START_DAEMONS, killAll, readDaemons } from '../../helpers/daemons.js';
import { ROOT, processesWith } from '../../helpers/run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'tasker-launcher-test-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

/** Poll until `check` holds or `ms` pass; returns whether it held (no timing is asserted). */
async function eventually(check: () => boolean, ms = 8000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (check()) return true;
  return check();
}

test.serial('the launcher is built and in use (npm run build compiles it)', (t) => {
  t.truthy(launcherBinary(), 'dist/native/tasker-launch is missing: run npm run build with a C compiler');
  t.truthy(getLauncher());
});

test.serial('a launcher killed mid-task: the task ends at once with a reason, its group is killed, the next run works', async (t) => {
  let pid = 0;
  const run = runProcess({ argv: ['sh', '-c', 'sleep 100 & sleep 100 & wait'], onSpawn: (p) => (pid = p) });
  t.true(await eventually(() => pid > 0 && groupMembers(pid).length === 3));
  const members = groupMembers(pid);
  const launcherPid = getLauncher()!.pid!;
  process.kill(launcherPid, 'SIGKILL');
  const r = await run;
  t.regex(r.stderr, /process launcher exited \(SIGKILL\); the task's process group was killed/);
  t.is(r.exitCode, 137);
  t.true(await eventually(() => members.every((m) => !isAlive(m))), 'no member of the group survives');

  const next = await runProcess({ argv: ['echo', 'again'] });
  t.is(next.stdout, 'again\n');
  t.not(getLauncher()!.pid, launcherPid, 'a new launcher was started');
});

test.serial('when the Node process dies (SIGKILL), the launcher kills every group it started', async (t) => {
  const holder = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/launcher/hold-sleep.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let line = '';
  holder.stdout.on('data', (d: Buffer) => (line += d.toString()));
  t.true(await eventually(() => line.includes('\n'), 30_000), 'the holder reports its child');
  const [childPid, launcherPid] = line.trim().split(' ').map(Number) as [number, number];
  t.true(launcherPid > 0, 'the holder ran its child through the launcher');
  t.true(await eventually(() => groupMembers(childPid).length === 3));
  const members = groupMembers(childPid);
  holder.kill('SIGKILL');
  t.true(await eventually(() => members.every((m) => !isAlive(m))), 'the group is gone after the grace period');
  t.true(await eventually(() => !isAlive(launcherPid)), 'the launcher exits too');
});

test('a bare program name is searched on the PATH the child gets, not ours', async (t) => {
  const dir = join(scratch, 'bin-a');
  mkdirSync(dir);
  writeFileSync(join(dir, 'only-here'), '#!/bin/sh\necho found "$@"\n');
  chmodSync(join(dir, 'only-here'), 0o755);
  const r = await runProcess({ argv: ['only-here', 'x y'], env: { PATH: `${dir}:/usr/bin:/bin` } });
  t.is(r.exitCode, 0);
  t.is(r.stdout, 'found x y\n');
  const missing = await runProcess({ argv: ['only-here'], env: { PATH: '/usr/bin:/bin' } });
  t.is(missing.exitCode, 127);
  t.regex(missing.stderr, /command not found: only-here/);
});

test('PATH search skips a non-executable match and runs the next one; only non-executable matches give 126', async (t) => {
  const first = join(scratch, 'bin-first');
  const second = join(scratch, 'bin-second');
  mkdirSync(first);
  mkdirSync(second);
  writeFileSync(join(first, 'prog'), '#!/bin/sh\necho first\n'); // not executable
  writeFileSync(join(second, 'prog'), '#!/bin/sh\necho second\n');
  chmodSync(join(second, 'prog'), 0o755);
  const r = await runProcess({ argv: ['prog'], env: { PATH: `${first}:${second}` } });
  t.is(r.stdout, 'second\n');
  const denied = await runProcess({ argv: ['prog'], env: { PATH: first } });
  t.is(denied.exitCode, 126);
  t.regex(denied.stderr, /permission denied: prog/);
});

test('an executable script without #! runs through /bin/sh, as execvp does', async (t) => {
  const script = join(scratch, 'no-shebang');
  writeFileSync(script, 'echo "plain script $1"\n');
  chmodSync(script, 0o755);
  const r = await runProcess({ argv: [script, 'arg'] });
  t.is(r.exitCode, 0);
  t.is(r.stdout, 'plain script arg\n');
});

test('a slow consumer holds the child back: the launcher stops reading while onStdout is pending', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let seen = 0;
  let first = true;
  const run = runProcess({
    argv: ['head', '-c', String(64 * 1024 * 1024), '/dev/zero'],
    captureLimit: 1024,
    spillDir: scratch,
    onStdout: (chunk) => {
      seen += chunk.length;
      if (!first) return undefined;
      first = false;
      return gate;
    },
  });
  await sleep(500);
  // Paused after the first chunk: at most what was already in flight (a few 64 KiB frames).
  t.true(seen < 1024 * 1024, `read ${seen} bytes while the consumer was holding`);
  release();
  const r = await run;
  t.is(r.exitCode, 0);
  t.is(r.stdoutBytes, 64 * 1024 * 1024);
  t.is(seen, 64 * 1024 * 1024);
});

test('the launcher survives malformed requests and still starts programs (fuzz)', async (t) => {
  const binary = launcherBinary()!;
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const frames: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    const body = Buffer.alloc(1 + rand(40));
    for (let j = 0; j < body.length; j++) body[j] = rand(256);
    if (rand(2)) body[0] = 'SPRCAK'.charCodeAt(rand(6));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    frames.push(len, body);
  }
  // A well-formed spawn of /bin/echo at the end: id 99, no cwd, argv [/bin/echo, ok], no env.
  const strs = (list: string[]) =>
    Buffer.concat(list.flatMap((s) => [Buffer.from([s.length, 0, 0, 0]), Buffer.from(s)]));
  const body = Buffer.concat([Buffer.from('S'), Buffer.from([99, 0, 0, 0]), strs(['']), Buffer.from([2, 0, 0, 0]), strs(['/bin/echo', 'ok']), Buffer.from([0, 0, 0, 0])]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  frames.push(len, body);
  // And a chained start after it: id 100, once 99 exits 0, argv [/bin/echo, chained].
  const chained = Buffer.concat([Buffer.from('A'), Buffer.from([100, 0, 0, 0]), Buffer.from([99, 0, 0, 0]), strs(['']), Buffer.from([2, 0, 0, 0]), strs(['/bin/echo', 'chained']), Buffer.from([0, 0, 0, 0])]);
  const chainedLen = Buffer.alloc(4);
  chainedLen.writeUInt32LE(chained.length);
  frames.push(chainedLen, chained);
  const launcher = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = Buffer.alloc(0);
  let stderr = '';
  launcher.stdout.on('data', (d: Buffer) => (out = Buffer.concat([out, d])));
  launcher.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  launcher.stdin.write(Buffer.concat(frames));
  // The echo's output frame ('d', id 99, stdout, "ok\n"): it kept working after the noise.
  const marker = Buffer.concat([Buffer.from('d'), Buffer.from([99, 0, 0, 0, 1]), Buffer.from('ok\n')]);
  const chainedMarker = Buffer.concat([Buffer.from('d'), Buffer.from([100, 0, 0, 0, 1]), Buffer.from('chained\n')]);
  const sawEcho = await eventually(() => out.includes(marker) && out.includes(chainedMarker), 20_000);
  launcher.stdin.end();
  const [code] = (await once(launcher, 'exit')) as [number | null];
  t.true(sawEcho, `no output frame from the echo and its chained follower; launcher stderr: ${stderr}`);
  t.is(code, 0, `launcher stderr: ${stderr}`);
});

test('a program that keeps running is reported started while it runs (the launcher holds "started" only briefly)', async (t) => {
  // The launcher holds a 'started' event for a few ms to send it with the program's exit; for a
  // program that goes on running, the pid must still arrive while it runs (timeouts need it).
  let spawnedWhileRunning: boolean | undefined;
  let ended = false;
  const run = runProcess({ argv: ['sleep', '3'], onSpawn: () => (spawnedWhileRunning = !ended) }).then((r) => {
    ended = true;
    return r;
  });
  t.true(await eventually(() => spawnedWhileRunning !== undefined, 2500), 'pid reported before the program ends');
  t.true(spawnedWhileRunning);
  t.is((await run).exitCode, 0);
});

test('short programs started back to back report pid, output and exit, in order, each once', async (t) => {
  for (let i = 0; i < 50; i++) {
    const pids: number[] = [];
    const r = await runProcess({ argv: ['sh', '-c', `echo out${i}; echo err${i} >&2; exit ${i % 3}`], onSpawn: (p) => pids.push(p) });
    t.is(pids.length, 1);
    t.is(r.pid, pids[0]);
    t.is(r.stdout, `out${i}\n`);
    t.is(r.stderr, `err${i}\n`);
    t.is(r.exitCode, i % 3);
  }
});

test.serial('a launcher killed mid-task: the task\'s whole tree dies, setsid daemons included (each program is its own subreaper)', async (t) => {
  const dir = mkdtempSync(join(scratch, 'daemons-'));
  // Killed once the task is in its final sleep: a task that writes after its launcher died gets
  // SIGPIPE first, and its orphaned daemons go to init before tasker can reach them
  // (docs/configuration.md, "How commands are started").
  let said = '';
  const run = runProcess({ argv: [START_DAEMONS, dir, 'sleep'], onStdout: (c) => void (said += c.toString()) });
  const pids = await readDaemons(dir, ALL_DAEMONS);
  t.truthy(pids, 'the task started its daemons');
  t.true(await eventually(() => said.includes('started'), 10_000), 'the task said it started');
  process.kill(getLauncher()!.pid!, 'SIGKILL');
  const r = await run;
  t.regex(r.stderr, /process launcher exited \(SIGKILL\)/);
  const all = [...pids!.values()];
  const left = await survivors(all, 5000);
  killAll(left);
  t.deepEqual(left, []);
});

test.serial('a task that keeps double-forking setsid daemons while it is killed leaves none (the tree is frozen before SIGKILL)', async (t) => {
  const marker = `${500 + (process.pid % 400)}.${String(Date.now() % 100000).padStart(5, '0')}7`; // found in /proc by it
  const script = `trap "" TERM; while :; do (setsid sleep ${marker} </dev/null >/dev/null 2>&1 &); done`;
  const r = await runProcess({ argv: ['sh', '-c', script], timeoutMs: 1000, killGraceMs: 300 });
  t.true(r.timedOut);
  const left = await processesWith(`sleep ${marker}`);
  killAll(left);
  t.deepEqual(left, []);
});
