import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Kills `child` (SIGKILL) when the test process exits, unless it ended before: a test file that
 * dies (uncaught exception, ava's timeout) skips its after hooks, and a service it started must
 * not outlive it.
 */
export function killWithTestProcess(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}
