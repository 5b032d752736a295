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
