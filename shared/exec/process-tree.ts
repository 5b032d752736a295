import { readdirSync, readFileSync } from 'node:fs';
import { killProcessGroup } from './kill-group.js';

/**
 * Killing a task's tree without the native launcher (Node's spawn, `TASKER_LAUNCHER=off`): its
 * process group, plus every process /proc still links to the task by parent pids. A process that
 * left the group (setsid) and whose parent already exited has been reparented away (to init or
 * another subreaper) and cannot be told apart from anyone else's: it is not found. The launcher
 * has no such gap (each program is its own child subreaper; native/start-program.c). The launcher's
 * client uses {@link treeKiller} too when the launcher itself died: its programs still run as subreapers.
 */

/** A process as /proc shows it: its parent, and its start time (so a reused pid is not taken for it). */
interface ProcEntry {
  ppid: number;
  start: string;
}

/** Every process on the machine, by pid; empty where there is no /proc. */
function readProcesses(): Map<number, ProcEntry> {
  const all = new Map<number, ProcEntry>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return all;
  }
  for (const name of names) {
    if (!/^[1-9]\d*$/.test(name)) continue;
    const entry = readEntry(Number(name));
    if (entry) all.set(Number(name), entry);
  }
  return all;
}

function readEntry(pid: number): ProcEntry | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    // stime cutime cstime priority nice threads itrealvalue starttime ..."; comm may hold ") ".
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Direct children of `pid`, from one pass over /proc (for a manager: its task group leaders). */
export function childPids(pid: number): number[] {
  return [...readProcesses()].filter(([, e]) => e.ppid === pid).map(([child]) => child);
}

/** The descendants of `root` (not root itself), pid → start time, from one pass over /proc. */
export function findDescendants(root: number): Map<number, string> {
  const all = readProcesses();
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of all) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const found = new Map<number, string>();
  const queue = [root];
  while (queue.length > 0) {
    for (const pid of children.get(queue.shift()!) ?? []) {
      if (found.has(pid) || pid === root) continue;
      found.set(pid, all.get(pid)!.start);
      queue.push(pid);
    }
  }
  return found;
}

/**
 * A tree killer for a child started with Node's spawn: each call signals the group and every
 * descendant found now or by an earlier call (still the same process: same start time), so one
 * orphaned between the SIGTERM and the SIGKILL is still reached.
 */
export function treeKiller(pid: number): (signal: NodeJS.Signals) => void {
  const known = new Map<number, string>();
  return (signal) => {
    for (const [p, start] of findDescendants(pid)) known.set(p, start);
    killProcessGroup(pid, signal);
    for (const [p, start] of known) {
      if (readEntry(p)?.start !== start) {
        known.delete(p);
        continue;
      }
      try {
        process.kill(p, signal);
      } catch {
        known.delete(p);
      }
    }
  };
}

/** Whether a process with this pid exists (one of another user counts: kill(pid, 0) says EPERM). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
