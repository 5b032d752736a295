import { readdirSync, readFileSync } from 'node:fs';

/** Live (non-zombie) PIDs whose process group is `pgid`, read from /proc. */
export function groupMembers(pgid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') found.push(Number(name));
  }
  return found;
}

/** True when `pid` still exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

function readStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ..." — comm may contain spaces and parentheses.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

/**
 * The PIDs of `pids` still alive after waiting up to `withinMs` for them to finish dying. A
 * process that got SIGKILL closes its files (our pipes see EOF) a moment before it turns into a
 * zombie; on a loaded machine that moment can outlast the caller's next instruction.
 */
export async function survivors(pids: number[], withinMs = 2000): Promise<number[]> {
  const deadline = performance.now() + withinMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && performance.now() < deadline) {
    await new Promise((res) => setTimeout(res, 10));
    alive = alive.filter(isAlive);
  }
  return alive;
}
