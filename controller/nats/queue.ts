/** What the server knows about a run's queue: which jobs are still there, and dropping them on a cancel. */
import { setTimeout as delay } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { JOBS_STREAM, RESULTS_STREAM, seqsOfJobSubject, subjects } from '../../shared/nats/index.js';
import type { RunState } from './run-state.js';

/**
 * Seqs to publish on resume: those with no result that are not in the jobs stream. The stream is
 * looked at first, the results second: a job leaves the stream only after its result is stored,
 * so a job missing from both was never published.
 */
export async function missingSeqs(
  jsm: JetStreamManager,
  state: RunState,
  reader: { received: number; seen: ReadonlySet<number> },
): Promise<number[]> {
  return (await findMissing(jsm, state, reader, 60_000)).missing;
}

/**
 * The same while the run goes on (lost-jobs.ts), but only when the reader has read every message
 * stored for the run within `patienceMs`: else undefined, as a file could look missing while its
 * result is on its way.
 */
export async function missingSeqsOnceRead(
  jsm: JetStreamManager,
  state: RunState,
  reader: { received: number; seen: ReadonlySet<number> },
  patienceMs: number,
): Promise<number[] | undefined> {
  const found = await findMissing(jsm, state, reader, patienceMs);
  return found.read ? found.missing : undefined;
}

async function findMissing(
  jsm: JetStreamManager,
  state: RunState,
  reader: { received: number; seen: ReadonlySet<number> },
  patienceMs: number,
): Promise<{ missing: number[]; read: boolean }> {
  const queued = new Set<number>();
  const jobs = await jsm.streams.info(JOBS_STREAM, { subjects_filter: subjects.runJobs(state.pool, state.runId) });
  // A batch's subject names its range (shared/nats/job-batch.ts): all its files count as queued.
  for (const subject of Object.keys(jobs.state.subjects ?? {})) for (const seq of seqsOfJobSubject(subject)) queued.add(seq);
  // Attempts and results of every job: the reader counts both.
  const res = await jsm.streams.info(RESULTS_STREAM, { subjects_filter: subjects.runResults(state.runId) });
  const stored = Object.values(res.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  const deadline = Date.now() + patienceMs;
  while (reader.received < stored && Date.now() < deadline) await delay(20);
  return { missing: range(state.files.length).filter((seq) => !reader.seen.has(seq) && !queued.has(seq)), read: reader.received >= stored };
}

/** Cancel a run whose controller is gone (`parallelr -k` had to kill it): agents kill its jobs, its queue is purged. */
export async function cancelOrphanedRun(nc: NatsConnection, jsm: JetStreamManager, runId: string, pool: string): Promise<void> {
  nc.publish(subjects.cancel(runId), 'its controller was killed');
  await nc.flush();
  await jsm.streams.purge(JOBS_STREAM, { filter: subjects.runJobs(pool, runId) });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
