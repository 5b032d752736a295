/** A task that starts daemons trying to outlive it (test/fixtures/daemons/start-daemons), and checks on them. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './run-cli.js';

export const START_DAEMONS = join(ROOT, 'test', 'fixtures', 'daemons', 'start-daemons');

/** What `start-daemons DIR sleep` leaves: see the fixture for what each one does to escape. */
export const ALL_DAEMONS = ['orphan', 'double', 'stubborn', 'member'] as const;
/** The ones /proc still links to the task while it runs (all that Node's spawn can find). */
export const LINKED_DAEMONS = ['stubborn', 'member'] as const;
export type DaemonName = (typeof ALL_DAEMONS)[number];

/** The pids `names` wrote into `dir`, once every file is there (undefined after `ms`). */
export async function readDaemons(dir: string, names: readonly DaemonName[], ms = 30_000): Promise<Map<DaemonName, number> | undefined> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
    if (names.every((n) => existsSync(join(dir, `${n}.pid`)))) {
      return new Map(names.map((n) => [n, Number(readFileSync(join(dir, `${n}.pid`), 'utf8').trim())]));
    }
  }
  return undefined;
}

/** Parent pid of `pid` (undefined when it is gone). */
export function parentOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** SIGKILL to each of `pids` that is still there (a test's own cleanup). */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
