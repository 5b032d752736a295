/**
 * No survivors, even daemons (issue 13, item 7): on a timeout or cancel every process descended
 * from the task is killed, also those that left its process group with setsid and were orphaned;
 * after a normal exit what the task deliberately left behind is left alone. Real processes: the
 * fixture's pids are checked in /proc.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../../../shared/exec/run-process.js';
import { getLauncher } from '../../../shared/exec/launcher.js';
import { ALL_DAEMONS, LINKED_DAEMONS, START_DAEMONS, killAll, parentOf, readDaemons } from '../../helpers/daemons.js';
import { isAlive, survivors } from '../../helpers/group-members.js';

const scratch = mkdtempSync(join(tmpdir(), 'tasker-daemons-test-'));
const started = new Set<number>();
test.after.always(() => {
  killAll(started);
  rmSync(scratch, { recursive: true, force: true });
});

/** With the launcher every daemon dies; with Node's spawn, the ones /proc links to the task. */
const mustDie = () => (getLauncher() ? ALL_DAEMONS : LINKED_DAEMONS);

test('a timeout kills every descendant of the task, also setsid daemons that were orphaned', async (t) => {
  const dir = mkdtempSync(join(scratch, 'timeout-'));
  let task = 0;
  const run = runProcess({ argv: [START_DAEMONS, dir, 'sleep'], timeoutMs: 4000, killGraceMs: 500, onSpawn: (p) => (task = p) });
  const pids = await readDaemons(dir, ALL_DAEMONS);
  t.truthy(pids, 'the task started its daemons before its timeout');
  for (const p of pids!.values()) started.add(p);
  // With the launcher the task is its own child subreaper: its orphans are still its children.
  if (getLauncher()) t.is(parentOf(pids!.get('double')!), task, 'the double-forked daemon was reparented to the task');
  const r = await run;
  t.true(r.timedOut);
  t.is(r.exitCode, 124);
  const expected = mustDie().map((n) => pids!.get(n)!);
  t.deepEqual(await survivors(expected), [], `survivors among ${mustDie().join(', ')}`);
});

test('a cancel kills every descendant of the task, also setsid daemons that were orphaned', async (t) => {
  const dir = mkdtempSync(join(scratch, 'cancel-'));
  const ac = new AbortController();
  const run = runProcess({ argv: [START_DAEMONS, dir, 'sleep'], signal: ac.signal, killGraceMs: 500 });
  const pids = await readDaemons(dir, ALL_DAEMONS);
  t.truthy(pids, 'the task started its daemons');
  for (const p of pids!.values()) started.add(p);
  ac.abort('SIGTERM');
  const r = await run;
  t.true(r.canceled);
  t.is(r.exitCode, 143);
  const expected = mustDie().map((n) => pids!.get(n)!);
  t.deepEqual(await survivors(expected), [], `survivors among ${mustDie().join(', ')}`);
});

test('after a normal exit, a daemon the task double-forked on purpose is left alone', async (t) => {
  const dir = mkdtempSync(join(scratch, 'exit-'));
  const r = await runProcess({ argv: [START_DAEMONS, dir, 'exit'], timeoutMs: 60_000 });
  t.is(r.exitCode, 0);
  t.is(r.stdout, 'started\n');
  const pids = await readDaemons(dir, ['double']);
  const daemon = pids!.get('double')!;
  started.add(daemon);
  // Not a timing check: any kill the run made happened before it settled.
  t.true(isAlive(daemon), 'the daemon survives the task');
  killAll([daemon]);
  t.deepEqual(await survivors([daemon]), []);
});

test('every task of a run has the same parent ($PPID): the launcher, or this process with Node\'s spawn', async (t) => {
  const first = await runProcess({ argv: ['sh', '-c', 'echo $PPID'] });
  const second = await runProcess({ argv: ['sh', '-c', 'echo $PPID'] });
  t.is(first.stdout, second.stdout);
  t.is(Number(first.stdout), getLauncher()?.pid ?? process.pid);
});
