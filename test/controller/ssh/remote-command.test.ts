/**
 * The exec=ssh wrapper, run by a real local shell the way sshd's login shell runs it: the task
 * always leads its own process group and the first stderr line names that group.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PGID_MARKER, wrapRemoteCommand } from '../../../controller/ssh/remote-command.js';

/** The task prints its own process group (field 5 of /proc/self/stat) and its argv. */
const TASK = ['sh', '-c', 'read -r _ _ _ _ g _ </proc/$$/stat; echo "pgrp=$g"; printf "[%s]" "$@"', 'task', 'a b', "it's", '$HOME'];

function runWrapper(detached: boolean): Promise<{ pid: number; stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', wrapRemoteCommand(TASK)], { detached, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ pid: child.pid!, stdout, stderr, code }));
  });
}

const ownGroup = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2]);

test('a shell that leads its group (as under sshd): the task runs in place, its group is the shell\'s', async (t) => {
  const r = await runWrapper(true);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, `${PGID_MARKER}${r.pid}\n`);
  t.is(r.stdout, `pgrp=${r.pid}\n[a b][it's][$HOME]`);
});

test('a shell that does not lead its group: setsid gives the task a group of its own, named first on stderr', async (t) => {
  const r = await runWrapper(false);
  t.is(r.code, 0, r.stderr);
  const m = new RegExp(`^${PGID_MARKER}(\\d+)\\n$`).exec(r.stderr);
  t.truthy(m, r.stderr);
  const pgid = Number(m![1]);
  t.not(pgid, ownGroup(), 'not the caller\'s group');
  t.is(r.stdout, `pgrp=${pgid}\n[a b][it's][$HOME]`);
});
