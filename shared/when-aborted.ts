import { setMaxListeners } from 'node:events';

/**
 * Run `fn` once when `signal` aborts — at once when it already has. A listener added to a signal
 * that aborted before (while the caller awaited something) never fires: a stop asked for meanwhile
 * would be lost. Returns the function that takes the listener off.
 */
export function whenAborted(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    fn();
    return () => undefined;
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/**
 * Wait for `p` at most `ms`, and not at all once `signal` aborts: 'done', or why not (its error's
 * message, `no answer within N s`, or `stopped waiting`). For best-effort steps against a server
 * that may be gone: a stop must not hang on them.
 */
export async function waitAtMost(p: Promise<unknown>, ms: number, signal?: AbortSignal): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  let unlisten = (): void => undefined;
  try {
    return await Promise.race([
      p.then(() => 'done', (e: unknown) => (e instanceof Error && e.message) || String(e)),
      new Promise<string>((r) => (timer = setTimeout(() => r(`no answer within ${ms / 1000} s`), ms))),
      new Promise<string>((r) => (unlisten = whenAborted(signal, () => r('stopped waiting')))),
    ]);
  } finally {
    clearTimeout(timer);
    unlisten();
  }
}

/**
 * An AbortController whose signal any number of waits listen to at once: one per slot, job, thread
 * or publish of a run (`parallelr -m 25`, an agent's `--max 16`, a parallel block of 20 threads). Node
 * warns past 10 listeners on one signal ("Possible EventTarget memory leak detected"), a limit meant to
 * catch leaks, not fan-out: each of these listeners is taken off when its wait ends.
 */
export function fanOutAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
