/**
 * Files whose job left the queue without a result are published again, one file per message.
 * A job leaves the work queue only when an agent acknowledges it after storing its result, or
 * terminates it: an agent older than batches cannot read a batch (shared/nats/job-batch.ts) and
 * terminates it as malformed without a result it could name; an operator may purge a queue by hand.
 * Without this the run would wait for those files for ever. Every `everyMs` the controller looks for
 * files that are neither queued nor stored (the check `--resume` makes, queue.ts `missingSeqs`),
 * and publishes them again, each as a job of its own (which any agent reads). A file found so is not
 * running anywhere: an agent holds its job message, unacknowledged, until the result is stored.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { missingSeqsOnceRead } from './queue.js';
import type { RunState } from './run-state.js';

export interface LostJobsOptions {
  jsm: JetStreamManager;
  state: RunState;
  /** The run's result reader: what it has read, and which files have a result. */
  reader: { received: number; seen: ReadonlySet<number> };
  /** Files recorded already (a result, or a job that could not be published). */
  recorded: (seq: number) => boolean;
  /** Publish `seqs` again, one file per message; `round` names the message ids (1, 2, …). */
  republish: (seqs: number[], round: number) => Promise<void>;
  note: (text: string) => void;
  /** The run is stopping: a cancel purges the queue, which is not a loss. */
  signal: AbortSignal;
  everyMs?: number;
}

const EVERY_MS = 10_000;

/** Start looking; the returned function stops it (and waits for a look in progress). */
export function watchLostJobs(o: LostJobsOptions): () => Promise<void> {
  let stopped = false;
  let round = 0;
  let looking: Promise<void> = Promise.resolve();
  const look = async () => {
    if (stopped || o.signal.aborted) return;
    let lost: number[];
    try {
      // Only when the results read so far are all that is stored: else a file could look lost while its result is on its way.
      const missing = await missingSeqsOnceRead(o.jsm, o.state, o.reader, 5000);
      if (!missing) return;
      lost = missing.filter((seq) => !o.recorded(seq));
    } catch {
      return; // JetStream cannot be asked now: look again next time
    }
    if (!lost.length || stopped || o.signal.aborted) return;
    o.note(`parallelr: ${lost.length} task file${lost.length > 1 ? 's' : ''} left the queue without a result (${describe(lost)}): ` +
      'an agent older than this controller cannot read batches, or the queue was purged; published again, one file per message');
    await o.republish(lost, ++round);
  };
  const timer = setInterval(() => {
    // A look that fails (the connection closed under it) is simply over: the next one tries again.
    looking = looking.then(look).catch(() => undefined);
  }, o.everyMs ?? EVERY_MS);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await looking;
  };
}

/** `3, 7, 8` or `3, 7, 8 … and 12 more`. */
function describe(seqs: number[]): string {
  const shown = seqs.slice(0, 3).map((s) => `#${s}`).join(', ');
  return seqs.length > 3 ? `${shown} … and ${seqs.length - 3} more` : shown;
}
