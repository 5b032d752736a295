/**
 * Kill graces under way in this process. A stopped or timed-out task's process group gets SIGTERM,
 * then SIGKILL once its grace is over (`kill_grace_seconds`, 2 s by default) — unless the operator
 * will not wait: a second Ctrl-C (or SIGTERM) ends every grace at once ({@link endKillGraces}, called
 * by shared/cli-io.ts), and any kill begun after it has no grace. Local groups (run-process.ts) and
 * remote ones over SSH (controller/executors/ssh-executor.ts) register here. Process-wide, as the signal is;
 * a run in a process that serves others (an agent's job) is hurried on its own by its `hurry` signal.
 */
import { whenAborted } from './when-aborted.js';

const pending = new Set<() => void>();
let hurried = false;

/**
 * `kill` now when the operator hurried, else when `endKillGraces` is called or the run's own `hurry`
 * aborts; the returned function forgets it (the grace ended or the group exited).
 */
export function duringKillGrace(kill: () => void, hurry?: AbortSignal): () => void {
  if (hurried || hurry?.aborted) {
    kill();
    return () => undefined;
  }
  pending.add(kill);
  const unlisten = whenAborted(hurry, kill);
  return () => {
    pending.delete(kill);
    unlisten();
  };
}

/** The operator will not wait: SIGKILL every group in its grace now, and the ones stopped from now on at once. */
export function endKillGraces(): void {
  hurried = true;
  for (const kill of [...pending]) kill();
  pending.clear();
}
