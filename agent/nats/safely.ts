/**
 * Settle a JetStream message (ack, nak, working, term) ignoring a closed connection: the server
 * then redelivers the job after `ack_wait`, and its next claim finds what was stored.
 */
export function safely(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // a closed connection: the job (or batch) is redelivered
  }
}
