// Built bin: tasker's own process is killed (SIGKILL/SIGTERM) and its task's daemons must not survive.
/**
 * No survivors when tasker itself is stopped or killed mid-task (issue 13, item 7), through the
 * built bin, with the native launcher and with TASKER_LAUNCHER=off (Node's spawn, which warns at
 * start about the one thing it does not guarantee: orphaned daemons that left the group).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TASKER_BIN } from '../../helpers/run-cli.js';
import { killWithTestProcess } from '../../helpers/child-cleanup.js';
import { ALL_DAEMONS, LINKED_DAEMONS, START_DAEMONS, killAll, readDaemons, type DaemonName } from '../../helpers/daemons.js';
import { survivors } from '../../helpers/group-members.js';

const scratch = mkdtempSync(join(tmpdir(), 'tasker-cli-daemons-'));
const started = new Set<number>();
test.after.always(() => {
  killAll(started);
  rmSync(scratch, { recursive: true, force: true });
});

interface Case {
  signal: 'SIGKILL' | 'SIGTERM';
  launcher: 'on' | 'off';
  mustDie: readonly DaemonName[];
}

const noSurvivors = test.macro(async (t, c: Case) => {
  const dir = mkdtempSync(join(scratch, `${c.signal}-${c.launcher}-`));
  const taskFile = join(dir, 'daemons.txt');
  writeFileSync(taskFile, `task=0\nhostname=localhost\nexec=local\ncommand=${START_DAEMONS}\narguments=${dir} sleep\n`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (c.launcher === 'off') env.TASKER_LAUNCHER = 'off';
  else delete env.TASKER_LAUNCHER;
  const tasker = spawn(process.execPath, [TASKER_BIN, '-r', taskFile, '-l', join(dir, 'logs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  killWithTestProcess(tasker);
  let stderr = '';
  tasker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  tasker.stdout.resume();
  const closed = new Promise<number | null>((resolve) => tasker.once('close', (code) => resolve(code)));

  const pids = await readDaemons(dir, ALL_DAEMONS);
  t.truthy(pids, 'the task started its daemons');
  for (const p of pids!.values()) started.add(p);
  tasker.kill(c.signal);
  const code = await closed;
  if (c.signal === 'SIGTERM') t.is(code, 143, 'a stopped run exits 143');
  const expected = c.mustDie.map((n) => pids!.get(n)!);
  // The launcher (or the watchdog) gives SIGTERM a grace period before SIGKILL.
  t.deepEqual(await survivors(expected, 10_000), [], `survivors among ${c.mustDie.join(', ')}`);

  const warning = /^tasker: warning: TASKER_LAUNCHER=off: tasks start with Node's spawn, so a process that leaves a task's process group and whose parent has exited \(a double-forked daemon\) is not killed on timeout, cancel or stop, nor when this process is killed$/m;
  if (c.launcher === 'off') t.regex(stderr, warning);
  else t.notRegex(stderr, /TASKER_LAUNCHER/);
});

test.serial('SIGKILL of tasker mid-task with the launcher: every descendant of the task dies, daemons included', noSurvivors, { signal: 'SIGKILL', launcher: 'on', mustDie: ALL_DAEMONS });
test.serial('stopping tasker (SIGTERM) mid-task with the launcher: every descendant of the task dies, daemons included', noSurvivors, { signal: 'SIGTERM', launcher: 'on', mustDie: ALL_DAEMONS });
test.serial('SIGKILL of tasker mid-task with TASKER_LAUNCHER=off: the watchdog kills the group and what /proc links to the task; a warning names the gap', noSurvivors, { signal: 'SIGKILL', launcher: 'off', mustDie: LINKED_DAEMONS });
test.serial('stopping tasker (SIGTERM) mid-task with TASKER_LAUNCHER=off: the group and what /proc links to the task die; a warning names the gap', noSurvivors, { signal: 'SIGTERM', launcher: 'off', mustDie: LINKED_DAEMONS });
