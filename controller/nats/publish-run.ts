/**
 * A run's publishing: every file (a new run) or only those neither finished nor queued (`--resume`),
 * in batches of the size chosen for the pool (fleet-probe.ts); then the watch that publishes again
 * the files whose job left the queue without a result (lost-jobs.ts).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { askThroughOutage, type FleetReply } from '../../shared/nats/index.js';
import { chooseBatch } from './fleet-probe.js';
import { watchLostJobs } from './lost-jobs.js';
import { publishJobs, type PublishOptions } from './publisher.js';
import { missingSeqs } from './queue.js';

export interface PublishRunOptions {
  /** How the run publishes (its publisher, state, max_payload, stop signal, what to record for a job that cannot be published). */
  publish: Omit<PublishOptions, 'seqs'> & { signal: AbortSignal };
  jsm: JetStreamManager;
  reader: { received: number; seen: ReadonlySet<number> };
  resume: boolean;
  /** The pool's agents, when the batch size depends on them (askFleet). */
  fleet: Promise<FleetReply[] | undefined>;
  /** Files recorded already (a result, or a job that could not be published). */
  recorded: (seq: number) => boolean;
  /** Says what was published on resume, and which files were lost. */
  say: (text: string) => void;
  note: (text: string) => void;
  /** Awaited before a file of the run is published: the input backup holds it until its copy is saved. */
  before?: (path: string) => Promise<void>;
}

/** Publish the run's files; how many were stored, and the function that stops the watch for lost jobs. */
export async function publishRun(o: PublishRunOptions): Promise<{ published: number; stopWatchingLost: () => Promise<void> }> {
  const { state } = o.publish;
  const total = state.files.length;
  // A resume during an outage waits for JetStream to say what is missing; stopped meanwhile, it publishes nothing.
  const missing = o.resume ? await askThroughOutage(() => missingSeqs(o.jsm, state, o.reader), o.publish.signal) : undefined;
  const seqs = o.resume ? missing ?? [] : Array.from({ length: total }, (_, i) => i + 1);
  if (missing) o.say(`${total - seqs.length} of ${total} jobs are finished or still queued; publishing ${seqs.length}\n`);
  const published = await publishJobs({ ...o.publish, seqs, batch: chooseBatch(seqs.length, await o.fleet, state.batch), before: o.before, note: o.note });
  const stopWatchingLost = watchLostJobs({
    jsm: o.jsm, state, reader: o.reader, recorded: o.recorded, note: o.note, signal: o.publish.signal,
    republish: async (again, round) => void (await publishJobs({ ...o.publish, seqs: again, batch: 1, idTag: `again${round}`, note: o.note })),
  });
  return { published, stopWatchingLost };
}
