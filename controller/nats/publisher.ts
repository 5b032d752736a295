/** Turn task files into job messages and publish them with a bounded number in flight. */
import { readBoundedBytes } from '../../shared/input/index.js';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { JOB_VERSION, encodeMessage, type JobMessage } from '../../shared/nats/index.js';
import { openStreamPublisher, subjects, type StreamPublisher } from '../../shared/nats/index.js';
import { StoreError } from '../../shared/errors/index.js';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunState } from './run-state.js';

/** A job that could not be published, with the reason (recorded as ERROR without running). */
export interface PublishFailure {
  seq: number;
  error: string;
}

export interface PublishOptions {
  nc: NatsConnection;
  state: RunState;
  /** 1-based sequence numbers to publish, ascending. */
  seqs: readonly number[];
  /** Largest message the server accepts (`nc.info.max_payload`). */
  maxPayload: number;
  /** Publishes in flight at once. Default 256. */
  window?: number;
  /** Stop publishing when aborted (stop limit, signal). */
  signal?: AbortSignal;
  onFailure: (f: PublishFailure) => void;
}

/** Publish the given jobs; returns how many were stored by JetStream. */
export async function publishJobs(o: PublishOptions): Promise<number> {
  const window = o.window ?? 256;
  const store = await openStreamPublisher(o.nc);
  const inFlight = new Set<Promise<void>>();
  let stored = 0;
  for (const seq of o.seqs) {
    if (o.signal?.aborted) break;
    const file = o.state.files[seq - 1]!;
    // Bounded: a file that cannot fit in a job is never read whole (base64 makes it 4/3 larger).
    const read = readBoundedBytes(file.path, Math.floor((o.maxPayload * 3) / 4) + 1);
    if (!read.ok) {
      o.onFailure({ seq, error: `Error: cannot read task file ${file.path}: it ${read.problem.reason}` });
      continue;
    }
    const content = read.bytes;
    const job: JobMessage = {
      v: JOB_VERSION,
      run_id: o.state.runId,
      seq,
      task_file: file.taskFile,
      file_name: basename(file.path) || `task-${seq}`,
      content: content.toString('base64'),
      command: o.state.command,
      timeout_sec: o.state.timeoutSeconds,
      output_tail: o.state.maxOutputCapture,
      ...(o.state.logging ? { records_cap: o.state.logging.recordsCapBytes } : {}),
      records_inline: true,
      ...(o.state.inProcess === false ? { in_process: false } : {}),
    };
    const data = encodeMessage(job);
    if (data.length > o.maxPayload) {
      o.onFailure({ seq, error: `Error: task file too large for NATS (${data.length} bytes as a job, server max_payload ${o.maxPayload})` });
      continue;
    }
    const p = publishOne(store, subjects.job(o.state.pool, o.state.runId, seq), data, `${o.state.runId}.${seq}.job`, o.signal).then(
      (published) => {
        if (published) stored++;
      },
      (e: Error) => o.onFailure({ seq, error: `Error: could not publish job to NATS: ${e.message}` }),
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  store.close();
  return stored;
}

/** Tries before a publish that keeps failing for a reason other than JetStream's absence counts as failed. */
const OTHER_FAILURE_TRIES = 20;

/**
 * Publish with retries (the msgID makes a retried publish count once). While JetStream cannot store
 * (no stream leader, no quorum, no answer: a transient StoreError) it keeps trying until it can or
 * the run stops, as the rest of the run waits (watch-jetstream.ts says so); the job is not recorded
 * as failed for an outage. Other failures are retried 20 times, then thrown. False when the run
 * stopped first: the job was not published, and the run records it as cancelled.
 */
async function publishOne(store: StreamPublisher, subject: string, data: Uint8Array, msgID: string, signal?: AbortSignal): Promise<boolean> {
  for (let attempt = 0, other = 0; ; attempt++) {
    if (signal?.aborted) return false;
    try {
      await store.publish(subject, data, { msgID, timeoutMs: 5000 });
      return true;
    } catch (e) {
      if (!(e instanceof StoreError && e.transient) && ++other >= OTHER_FAILURE_TRIES) throw e;
    }
    // Shorter when the run stops (the wait then rejects: the loop's first line returns).
    await delay(Math.min(250 * (attempt + 1), 2000), undefined, { signal }).catch(() => undefined);
  }
}
