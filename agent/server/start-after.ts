import type { AheadProcess } from '../../shared/exec/index.js';
import type { ExecuteRequest__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { ExecuteContext } from './execute-context.js';

/** What a pipelined call does: take over a program the launcher started ahead, start now, or not run (why). */
export type After = { ahead: AheadProcess } | 'now' | { notStarted: string };

const PREDECESSOR_FAILED = { notStarted: 'its predecessor did not exit with status 0 on its own' };

/**
 * A pipelined call: waits for the call it follows and decides. Started ahead by the launcher when that
 * call's program runs under the launcher (this task starts the moment it exits with status 0,
 * without a turn of our event loop); 'now' when it ended with status 0 on its own (start the
 * ordinary way); otherwise why it does not run. Cancelling the call while it waits (or the
 * agent draining) cancels it.
 */
export async function startAfter(ctx: ExecuteContext, req: ExecuteRequest__Output, argv: string[], signal: AbortSignal): Promise<After> {
  const pred = ctx.calls.get(req.run_id, req.after_call);
  if (!pred) return { notStarted: `call \`${req.after_call}\` of run ${req.run_id} is not known to this agent` };
  if (signal.aborted) return { notStarted: 'cancelled while waiting for its predecessor' };
  let cancel!: () => void;
  const stopped = new Promise<{ notStarted: string }>((resolve) => {
    cancel = () => resolve({ notStarted: signal.aborted ? 'cancelled while waiting for its predecessor' : 'the agent is draining' });
    signal.addEventListener('abort', cancel, { once: true });
    ctx.calls.waiting.add(cancel);
  });
  try {
    const child = await Promise.race([pred.child, stopped]);
    if (child && 'notStarted' in child) return child;
    if (child?.startAhead) {
      const ahead = child.startAhead(argv, undefined, ctx.env ?? process.env);
      void stopped.then(() => ahead.cancel());
      try {
        return (await ahead.started) ? { ahead } : PREDECESSOR_FAILED;
      } catch (e) {
        return { notStarted: `could not be started: ${(e as Error).message}` };
      }
    }
    const r = await Promise.race([pred.result, stopped]);
    if (r && 'notStarted' in r) return r;
    return r && r.exitCode === 0 && !r.timedOut && !r.canceled && !r.spawnError ? 'now' : PREDECESSOR_FAILED;
  } finally {
    signal.removeEventListener('abort', cancel);
    ctx.calls.waiting.delete(cancel);
  }
}
